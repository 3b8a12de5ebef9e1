/** Code → name tables for the SIF enumerations (B.3, B.4), so listings can show words instead of numbers. */

// Maps, not object literals, so the codes can stay in the hexadecimal the spec uses.
const DATA_TYPE_NAMES = new Map<number, string>([
  [0x4001, 'Deffile'],
  [0x4002, 'EnvVar'],
  [0x4003, 'Labels'],
  [0x4004, 'Partition'],
  [0x4005, 'Signature'],
  [0x4006, 'GenericJSON'],
  [0x4007, 'Generic'],
  [0x4008, 'CryptoMessage'],
  [0x4009, 'SBOM'],
  [0x400a, 'OCIRootIndex'],
  [0x400b, 'OCIBlob'],
]);

const ARCH_NAMES: Record<string, string> = {
  '00': 'unknown',
  '01': '386',
  '02': 'amd64',
  '03': 'arm',
  '04': 'arm64',
  '05': 'ppc64',
  '06': 'ppc64le',
  '07': 'mips',
  '08': 'mipsle',
  '09': 'mips64',
  '10': 'mips64le',
  '11': 's390x',
  '12': 'riscv64',
  '13': 'loong64',
};

const FS_TYPE_NAMES: Record<number, string> = {
  1: 'Squashfs',
  2: 'Ext3',
  3: 'ImmutableObjectArchive',
  4: 'Raw',
  5: 'EncryptedSquashfs',
  6: 'GocryptfsSquashfs',
};

const PART_TYPE_NAMES: Record<number, string> = { 1: 'System', 2: 'PrimSys', 3: 'Data', 4: 'Overlay' };

const HASH_NAMES: Record<number, string> = { 1: 'SHA-256', 2: 'SHA-384', 3: 'SHA-512', 4: 'BLAKE2s-256', 5: 'BLAKE2b-256' };

const CRYPTO_FORMAT_NAMES: Record<number, string> = { 1: 'OpenPGP', 2: 'PEM' };

const CRYPTO_MESSAGE_NAMES = new Map<number, string>([
  [0x100, 'ClearSignature'],
  [0x200, 'RSA-OAEP'],
]);

const SBOM_FORMAT_NAMES: Record<number, string> = {
  1: 'cyclonedx-json',
  2: 'cyclonedx-xml',
  3: 'github-json',
  4: 'spdx-json',
  5: 'spdx-rdf',
  6: 'spdx-tag-value',
  7: 'spdx-yaml',
  8: 'syft-json',
};

const SQUASHFS_COMPRESSORS: Record<number, string> = { 1: 'gzip', 2: 'lzma', 3: 'lzo', 4: 'xz', 5: 'lz4', 6: 'zstd' };

// Unknown codes are shown rather than hidden: a newer SIF may use values this table does not know yet.
function lookup(table: Record<number, string> | Map<number, string>, code: number): string {
  return (table instanceof Map ? table.get(code) : table[code]) ?? `unknown (${code})`;
}

export const dataTypeName = (code: number): string =>
  DATA_TYPE_NAMES.get(code) ?? `unknown (0x${(code >>> 0).toString(16).padStart(4, '0')})`;
export const archName = (code: string): string => ARCH_NAMES[code] ?? `unknown (${JSON.stringify(code)})`;
export const fsTypeName = (code: number): string => lookup(FS_TYPE_NAMES, code);
export const partTypeName = (code: number): string => lookup(PART_TYPE_NAMES, code);
export const hashTypeName = (code: number): string => lookup(HASH_NAMES, code);
export const cryptoFormatName = (code: number): string => lookup(CRYPTO_FORMAT_NAMES, code);
export const cryptoMessageName = (code: number): string => lookup(CRYPTO_MESSAGE_NAMES, code);
export const sbomFormatName = (code: number): string => lookup(SBOM_FORMAT_NAMES, code);
export const squashfsCompressorName = (code: number): string => lookup(SQUASHFS_COMPRESSORS, code);
