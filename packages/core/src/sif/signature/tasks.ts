import { DataType, PartType } from '../constants';
import type { SifDescriptor } from '../types';
import { groupIds, groupMembers, type SifLayout } from './layout';
import type { SignatureFormat, VerifyProblem, VerifySelection } from './types';

/** One unit of verification (sif-signatures.md §5 step 2): a whole group, or one object of a group. */
export type Task =
  | { kind: 'group'; groupId: number; objects: SifDescriptor[]; signatures: SifDescriptor[] }
  | { kind: 'object'; groupId: number; objects: [SifDescriptor]; signatures: SifDescriptor[] };

export interface TaskFailure {
  problem: VerifyProblem;
  message: string;
}

const isSignature = (d: SifDescriptor) => d.type === DataType.Signature;
const linksGroup = (d: SifDescriptor, groupId: number) => d.link?.type === 'group' && d.link.groupId === groupId;
const linksObject = (d: SifDescriptor, id: number) => d.link?.type === 'object' && d.link.id === id;

export const describeTask = (task: Pick<Task, 'kind' | 'groupId' | 'objects'>): string =>
  task.kind === 'group' ? `object group ${task.groupId}` : `object ${task.objects[0].id}`;

/**
 * The tasks for a selection, with their signatures, as Go builds them; or the reason there are none. Normal mode
 * checks groups against metadata signatures only; legacy mode checks legacy signatures only (§4).
 */
export function buildTasks(
  layout: SifLayout,
  formats: Map<number, SignatureFormat>,
  selection: VerifySelection,
  legacy: boolean,
): Task[] | TaskFailure {
  const signatures = layout.descriptors.filter(isSignature);
  const ofFormat = (d: SifDescriptor) => (formats.get(d.id) === 'legacy') === legacy;
  const groupSignatures = (groupId: number) => signatures.filter((d) => linksGroup(d, groupId) && ofFormat(d));
  const objects = layout.descriptors.filter((d) => !isSignature(d));
  const find = (id: number) => objects.find((d) => d.id === id);
  const groupTask = (groupId: number): Task => ({
    kind: 'group',
    groupId,
    objects: groupMembers(layout, groupId),
    signatures: groupSignatures(groupId),
  });

  if (!legacy) {
    const loose = objects.find((d) => d.groupId === 0);
    if (loose) return { problem: 'not-covered', message: `object ${loose.id} is in no object group, so no signature can cover it` };
  }
  switch (selection.kind) {
    case 'group':
      if (groupMembers(layout, selection.groupId).length === 0)
        return { problem: 'not-found', message: `object group ${selection.groupId} not found` };
      return [groupTask(selection.groupId)];
    case 'object': {
      const object = find(selection.id);
      if (!object) return { problem: 'not-found', message: `object ${selection.id} not found` };
      // legacy object signatures link to the object; metadata signatures to its group (and list the object)
      const linked = legacy ? signatures.filter((d) => linksObject(d, object.id)) : groupSignatures(object.groupId);
      return [{ kind: 'object', groupId: object.groupId, objects: [object], signatures: linked }];
    }
    case 'all':
      if (legacy) return legacyEveryObject(objects, signatures);
      return allGroups(layout, groupTask);
    case 'default':
      if (legacy) return legacyPrimary(layout, objects, signatures, groupSignatures);
      return allGroups(layout, groupTask);
  }
}

function allGroups(layout: SifLayout, groupTask: (groupId: number) => Task): Task[] | TaskFailure {
  const ids = groupIds(layout);
  if (ids.length === 0) return { problem: 'not-covered', message: 'the image has no object groups' };
  return ids.map(groupTask);
}

/**
 * Legacy mode without a selection: Apptainer's `--legacy-insecure` checks the primary partition, through the
 * signatures linked to it. A legacy signature over its whole group covers it as well (Apptainer would need
 * `-g N` for that one), so each legacy fixture verifies without knowing how it was signed.
 */
function legacyPrimary(
  layout: SifLayout,
  objects: SifDescriptor[],
  signatures: SifDescriptor[],
  groupSignatures: (groupId: number) => SifDescriptor[],
): Task[] | TaskFailure {
  const primary = objects.find((d) => d.partition?.partType === PartType.PrimSys) ?? objects.find((d) => d.groupId !== 0);
  if (!primary) return { problem: 'not-found', message: 'the image has no primary partition' };
  const linked = signatures.filter((d) => linksObject(d, primary.id));
  if (linked.length > 0 || primary.groupId === 0)
    return [{ kind: 'object', groupId: primary.groupId, objects: [primary], signatures: linked }];
  return [
    {
      kind: 'group',
      groupId: primary.groupId,
      objects: groupMembers(layout, primary.groupId),
      signatures: groupSignatures(primary.groupId),
    },
  ];
}

/** `--legacy --all`: one object task for every grouped object that is not a signature (OptVerifyLegacyAll). */
function legacyEveryObject(objects: SifDescriptor[], signatures: SifDescriptor[]): Task[] {
  return objects
    .filter((d) => d.groupId !== 0)
    .map(
      (object): Task => ({
        kind: 'object',
        groupId: object.groupId,
        objects: [object],
        signatures: signatures.filter((d) => linksObject(d, object.id)),
      }),
    );
}
