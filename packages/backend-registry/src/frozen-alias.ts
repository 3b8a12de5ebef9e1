// A frozen container is listed by its collection as `collection/name:<version>` (registry-api.md §1.1
// CollectionItem), but the server looks containers up by tag: pulling the listed name as written finds nothing.
// When a tag that is not found has the shape of a version, the collection's containers of that name are asked
// which frozen one holds that version, and the pull goes on by its real tag, pinned to the version.
import type { ImageName } from '@sregistry/core';
import { isObject } from './answers';
import { sameVersion, versionDigest } from './digest';
import { containerSearchPath } from './endpoints';
import type { Runtime } from './runtime';

/** The real tag and version behind `collection/name:<version>`, or undefined when no frozen container has it. */
export async function frozenAlias(rt: Runtime, name: ImageName, signal?: AbortSignal): Promise<ImageName | undefined> {
  if (name.version || !versionDigest(name.tag)) return undefined;
  const url = `${rt.location(name).api}${containerSearchPath({ collection: name.collection, name: name.image })}`;
  const answer = await rt.http.json({ url, signal });
  if (answer.status !== 200 || !Array.isArray(answer.data)) return undefined;
  const match = answer.data
    .filter(isObject)
    .find(
      (c) => c.frozen === true && typeof c.version === 'string' && typeof c.tag === 'string' && sameVersion(c.version, name.tag) === true,
    );
  if (!match) return undefined;
  const tag = String(match.tag);
  const version = String(match.version);
  rt.log.debug(`${name.collection}/${name.image}:${name.tag} is how the collection lists the frozen tag ${tag}`);
  const uri = `${name.url}:${tag}@${version}`;
  return { ...name, tag, version, uri, storage: `${uri}.sif` };
}
