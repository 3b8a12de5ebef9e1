/**
 * Byte-level constants of the SIF format, spec version "01" (hub-sif-library.md B.1–B.6).
 * All integers in a SIF are little-endian and the structures are packed.
 */

/** The global header is 128 bytes at offset 0 (B.1). */
export const HEADER_SIZE = 128;
/** Each descriptor slot is 585 bytes (B.2). */
export const DESCRIPTOR_SIZE = 585;

/** Header field offsets (B.1). */
export const H = {
  launchScript: 0,
  magic: 32,
  version: 42,
  arch: 45,
  uuid: 48,
  createdAt: 64,
  modifiedAt: 72,
  descriptorsFree: 80,
  descriptorsTotal: 88,
  descriptorsOffset: 96,
  descriptorsSize: 104,
  dataOffset: 112,
  dataSize: 120,
} as const;

/** Descriptor field offsets (B.2). */
export const D = {
  dataType: 0,
  used: 4,
  id: 5,
  groupId: 9,
  link: 13,
  offset: 17,
  size: 25,
  sizeWithPadding: 33,
  createdAt: 41,
  modifiedAt: 49,
  uid: 57,
  gid: 65,
  name: 73,
  extra: 201,
} as const;
export const NAME_SIZE = 128;
export const EXTRA_SIZE = 384;

/** `SIF_MAGIC\0` at offset 32 and `01\0` at 42; the loaders reject any other version. */
export const MAGIC = Buffer.from('SIF_MAGIC\0', 'latin1');
export const SUPPORTED_VERSION = '01';

/** Group ids and group links are stored with the top nibble set (B.2). */
export const GROUP_MASK = 0x0fffffff;
export const GROUP_FLAG = 0xf0000000;

/** Go's zero `time.Time` as Unix seconds: what deterministic builds store for "no time" (B.1). */
export const GO_ZERO_TIME = -62135596800;

/** Data object types (B.3). */
export const DataType = {
  Deffile: 0x4001,
  EnvVar: 0x4002,
  Labels: 0x4003,
  Partition: 0x4004,
  Signature: 0x4005,
  GenericJSON: 0x4006,
  Generic: 0x4007,
  CryptoMessage: 0x4008,
  SBOM: 0x4009,
  OCIRootIndex: 0x400a,
  OCIBlob: 0x400b,
} as const;

/** Partition types (B.4); PrimSys marks the container's root file system. */
export const PartType = { System: 1, PrimSys: 2, Data: 3, Overlay: 4 } as const;

/** File system types (B.4); 5 and 6 are encrypted and unreadable without the key. */
export const FsType = { Squashfs: 1, Ext3: 2, ImmutableObject: 3, Raw: 4, EncryptedSquashfs: 5, GocryptfsSquashfs: 6 } as const;

/** The name of the GenericJSON object that holds `apptainer inspect --all` output (B.8). */
export const INSPECT_METADATA_NAME = 'inspect-metadata.json';

/**
 * Guards against corrupt headers: a descriptor count this large would make us read megabytes of table.
 * Builders use 48; 16384 slots is already a 9.6 MB table.
 */
export const MAX_DESCRIPTORS = 16384;
