/** Shapes returned by the SIF reader and the image format detector. All are plain JSON-friendly data. */

export interface SifHeader {
  /** e.g. `#!/usr/bin/env run-singularity\n`; empty when the field is all zeros */
  launchScript: string;
  magic: string;
  version: string;
  /** two-digit code from the header, e.g. `02` */
  archCode: string;
  /** e.g. `amd64`; `unknown` for code `00` */
  arch: string;
  uuid: string;
  /** null for Go's zero time (deterministic builds) */
  createdAt: Date | null;
  modifiedAt: Date | null;
  descriptorsFree: number;
  descriptorsTotal: number;
  descriptorsOffset: number;
  descriptorsSize: number;
  dataOffset: number;
  dataSize: number;
}

/** A descriptor's link: to another object by id, or to a group (B.2). */
export type SifLink = { type: 'object'; id: number } | { type: 'group'; groupId: number };

export interface SifPartitionExtra {
  fsType: number;
  fsTypeName: string;
  partType: number;
  partTypeName: string;
  archCode: string;
  arch: string;
}

export interface SifSignatureExtra {
  hashType: number;
  hashName: string;
  /** OpenPGP v4 fingerprint (40 upper-case hex digits), or null when none is recorded (e.g. DSSE) */
  fingerprint: string | null;
}

export interface SifCryptoMessageExtra {
  format: number;
  formatName: string;
  messageType: number;
  messageTypeName: string;
}

export interface SifSbomExtra {
  format: number;
  formatName: string;
}

export interface SifDescriptor {
  /** index of the descriptor slot (0-based) */
  slot: number;
  type: number;
  typeName: string;
  id: number;
  /** group number with the stored 0xF0000000 flag removed; 0 = no group */
  groupId: number;
  link: SifLink | null;
  offset: number;
  size: number;
  sizeWithPadding: number;
  name: string;
  createdAt: Date | null;
  modifiedAt: Date | null;
  partition?: SifPartitionExtra;
  signature?: SifSignatureExtra;
  cryptoMessage?: SifCryptoMessageExtra;
  sbom?: SifSbomExtra;
  /** `sha256:<hex>` of an OCI root index or blob */
  ociDigest?: string;
}

export interface SifAppMetadata {
  labels: Record<string, string>;
  environment: Record<string, string>;
  runscript: string | null;
  startscript: string | null;
  test: string | null;
  helpfile: string | null;
}

/** `data.attributes` of `inspect-metadata.json` (B.8); the same shape sregistry stores as metrics. */
export interface SifInspectMetadata extends SifAppMetadata {
  apps: Record<string, SifAppMetadata>;
}

export interface SifSignatureSummary {
  count: number;
  /** distinct hash type names of the signature objects, e.g. ['SHA-256'] */
  types: string[];
  /** distinct envelope kinds found at the start of each signature: 'pgp-cleartext', 'dsse', 'legacy', 'unknown' */
  formats: string[];
}

export interface SifInfo {
  format: 'sif';
  path: string;
  /** file size in bytes */
  size: number;
  header: SifHeader;
  /** used descriptors only, in slot order */
  descriptors: SifDescriptor[];
  primaryPartition: SifDescriptor | null;
  /** the primary partition's architecture, else the header's */
  arch: string;
  /** first Deffile object as UTF-8, cut at the size cap */
  deffile: string | null;
  deffileTruncated: boolean;
  inspectMetadata: SifInspectMetadata | null;
  /** a Labels (0x4003) object, parsed as JSON; builders do not write one today */
  labelsObject: Record<string, string> | null;
  /** an EnvVar (0x4002) object as text; builders do not write one today */
  envObject: string | null;
  signatures: SifSignatureSummary;
  signed: boolean;
  /** the primary partition is dm-crypt or gocryptfs encrypted (fs type 5 or 6) */
  encrypted: boolean;
  /** problems that do not make the file unusable (unparseable metadata, inconsistent counts) */
  warnings: string[];
  /** bytes read from the file to produce this */
  bytesRead: number;
}

export type ImageFormat = 'sif' | 'squashfs' | 'ext3' | 'gzip' | 'directory' | 'unknown';

export interface SifFormatDetails {
  version: string;
  supportedVersion: boolean;
  launchScript: string;
}

export interface SquashfsDetails {
  /** true when a ` run-singularity` line precedes the file system (a legacy .simg) */
  launchScript: boolean;
  compressor: number;
  compressorName: string;
  versionMajor: number;
  versionMinor: number;
  blockSize: number;
  inodeCount: number;
  bytesUsed: number;
  mkfsTime: Date | null;
  /** the file holds all `bytesUsed` bytes after the offset (false suggests a truncated download) */
  complete: boolean;
}

export interface Ext3Details {
  launchScript: boolean;
  hasJournal: boolean;
  featureCompat: number;
  featureIncompat: number;
  featureRoCompat: number;
  blockSize: number;
  blocksCount: number;
  volumeName: string;
}

export interface GzipDetails {
  method: number;
  mtime: Date | null;
  originalName: string | null;
}

export interface DirectoryDetails {
  /** the folder has a `.singularity.d`, i.e. it looks like a sandbox */
  singularityDir: boolean;
}

export interface UnknownDetails {
  reason: string;
}

interface FormatBase {
  /** where the file system starts (after a run-singularity line for legacy images) */
  offset: number;
  /** bytes read from the file to decide */
  bytesRead: number;
}

export type ImageFormatInfo =
  | (FormatBase & { format: 'sif'; details: SifFormatDetails })
  | (FormatBase & { format: 'squashfs'; details: SquashfsDetails })
  | (FormatBase & { format: 'ext3'; details: Ext3Details })
  | (FormatBase & { format: 'gzip'; details: GzipDetails })
  | (FormatBase & { format: 'directory'; details: DirectoryDetails })
  | (FormatBase & { format: 'unknown'; details: UnknownDetails });

/** What `inspectImage` returns for anything that is not a SIF. */
export type OtherImageInspection = Exclude<ImageFormatInfo, { format: 'sif' }> & {
  path: string;
  /** file size, null for a directory */
  size: number | null;
  /** for gzip: the format found in the first few KiB of the decompressed stream, when it could be decided */
  inner?: Exclude<ImageFormatInfo, { format: 'directory' }> | null;
};

export type ImageInspection = SifInfo | OtherImageInspection;
