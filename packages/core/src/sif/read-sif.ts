import { utf8Prefix } from './binary';
import { DataType, DESCRIPTOR_SIZE, FsType, HEADER_SIZE, INSPECT_METADATA_NAME, PartType } from './constants';
import { parseDescriptors } from './descriptor';
import { type ImageFile, withImageFile } from './file-reader';
import { parseHeader } from './header';
import { parseInspectMetadata, parseLabelsObject } from './metadata';
import type { SifDescriptor, SifInfo, SifSignatureSummary } from './types';

export interface ReadSifOptions {
  /**
   * `bytesRead` is always reported; pass a function to also be told of every read as it happens
   * (e.g. to tally several reads of one file). `true`/`false` are accepted and change nothing.
   */
  countBytes?: boolean | ((bytes: number) => void);
  /** the deffile is cut at this many bytes (default 1 MiB) */
  maxDeffileBytes?: number;
  /** JSON and text objects larger than this are not read (default 4 MiB) */
  maxObjectBytes?: number;
}

const MiB = 1024 * 1024;
/** Enough of a signature object to tell a clear-signed message from a DSSE envelope. */
const SIGNATURE_SNIFF_BYTES = 64;

/**
 * Reads a SIF's header, descriptor table and the few small objects that describe the container (deffile,
 * inspect-metadata.json, labels/env objects, the first bytes of each signature). Partition data is never read,
 * so this costs about the same for a 4 KiB image as for a 10 GiB one.
 * Throws a UserError for anything that is not a structurally valid SIF version 01.
 */
export async function readSif(path: string, options: ReadSifOptions = {}): Promise<SifInfo> {
  const onRead = typeof options.countBytes === 'function' ? options.countBytes : undefined;
  return withImageFile(path, onRead, (file) => readOpenSif(file, options));
}

async function readOpenSif(file: ImageFile, options: ReadSifOptions): Promise<SifInfo> {
  const maxDeffile = options.maxDeffileBytes ?? MiB;
  const maxObject = options.maxObjectBytes ?? 4 * MiB;
  const header = parseHeader(await file.read(0, HEADER_SIZE), file.path, file.size);
  const warnings: string[] = [];

  const tableBytes = header.descriptorsTotal * DESCRIPTOR_SIZE;
  if (header.descriptorsSize !== tableBytes) {
    warnings.push(
      `the header gives the descriptor table ${header.descriptorsSize} bytes; ${header.descriptorsTotal} slots need ${tableBytes}`,
    );
  }
  const parsed = parseDescriptors(await file.read(header.descriptorsOffset, tableBytes), file.path, file.size);
  const descriptors = parsed.descriptors;
  warnings.push(...parsed.warnings);
  const used = descriptors.length;
  if (header.descriptorsFree !== header.descriptorsTotal - used) {
    warnings.push(`the header counts ${header.descriptorsFree} free descriptors but ${header.descriptorsTotal - used} are unused`);
  }

  const first = (type: number, name?: string): SifDescriptor | undefined =>
    descriptors.find((d) => d.type === type && (name === undefined || d.name === name));

  // Reads a whole small object, or nothing (with a warning) when it is larger than the cap.
  const readSmall = async (descriptor: SifDescriptor | undefined, what: string): Promise<Buffer | null> => {
    if (!descriptor) return null;
    if (descriptor.size > maxObject) {
      warnings.push(`${what} (object ${descriptor.id}) is ${descriptor.size} bytes, over the ${maxObject}-byte limit; not read`);
      return null;
    }
    return file.read(descriptor.offset, descriptor.size);
  };
  const readJson = async (descriptor: SifDescriptor | undefined, what: string): Promise<unknown> => {
    const bytes = await readSmall(descriptor, what);
    if (bytes === null) return undefined;
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      warnings.push(`${what} (object ${descriptor?.id}) is not valid JSON`);
      return undefined;
    }
  };

  let deffile: string | null = null;
  let deffileTruncated = false;
  const deffileDescriptor = first(DataType.Deffile);
  if (deffileDescriptor) {
    deffileTruncated = deffileDescriptor.size > maxDeffile;
    const bytes = await file.read(deffileDescriptor.offset, Math.min(deffileDescriptor.size, maxDeffile));
    deffile = utf8Prefix(bytes, deffileTruncated);
    if (deffileTruncated) warnings.push(`the deffile is ${deffileDescriptor.size} bytes; only the first ${maxDeffile} were read`);
  }

  const metadataDescriptor = first(DataType.GenericJSON, INSPECT_METADATA_NAME);
  const metadataJson = await readJson(metadataDescriptor, INSPECT_METADATA_NAME);
  const inspectMetadata = metadataJson === undefined ? null : parseInspectMetadata(metadataJson);
  if (metadataJson !== undefined && inspectMetadata === null) warnings.push(`${INSPECT_METADATA_NAME} has no data.attributes`);

  const labelsJson = await readJson(first(DataType.Labels), 'the labels object');
  const labelsObject = labelsJson === undefined ? null : parseLabelsObject(labelsJson);
  const envBytes = await readSmall(first(DataType.EnvVar), 'the environment object');
  const envObject = envBytes === null ? null : envBytes.toString('utf8');

  const signatureDescriptors = descriptors.filter((d) => d.type === DataType.Signature);
  const signatures: SifSignatureSummary = {
    count: signatureDescriptors.length,
    types: unique(signatureDescriptors.map((d) => d.signature?.hashName ?? 'unknown')),
    formats: [],
  };
  const formats: string[] = [];
  for (const descriptor of signatureDescriptors) {
    formats.push(signatureFormat(await file.read(descriptor.offset, Math.min(descriptor.size, SIGNATURE_SNIFF_BYTES))));
  }
  signatures.formats = unique(formats);

  // B.7: the writer allows one PrimSys partition; if a corrupt file has more, the first one wins, as in Apptainer.
  const primaryPartition = descriptors.find((d) => d.partition?.partType === PartType.PrimSys) ?? null;
  const primaryFs = primaryPartition?.partition?.fsType;
  return {
    format: 'sif',
    path: file.path,
    size: file.size,
    header,
    descriptors,
    primaryPartition,
    arch: primaryPartition?.partition?.arch ?? header.arch,
    deffile,
    deffileTruncated,
    inspectMetadata,
    labelsObject,
    envObject,
    signatures,
    signed: signatures.count > 0,
    encrypted: primaryFs === FsType.EncryptedSquashfs || primaryFs === FsType.GocryptfsSquashfs,
    warnings,
    bytesRead: file.bytesRead,
  };
}

const unique = (values: string[]): string[] => [...new Set(values)];

/** Tells the signature envelopes of B.11 apart by their first bytes. */
function signatureFormat(start: Buffer): string {
  const text = start.toString('latin1').trimStart();
  if (text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) {
    // Singularity 3.0–3.5 signed a bare `SIFHASH:` line instead of the JSON integrity metadata
    return text.includes('\nSIFHASH:') ? 'legacy' : 'pgp-cleartext';
  }
  if (text.startsWith('{')) return 'dsse';
  return 'unknown';
}
