import { DESCRIPTOR_SIZE, HEADER_SIZE } from './constants';
import { parseDescriptors } from './descriptor';
import { withImageFile } from './file-reader';
import { parseHeader } from './header';

/**
 * Whether a file that starts as a SIF is a whole one: the header, the descriptor table, every object it lists
 * and the data area lie inside the file. Throws the reader's UserError (EBADSIF) when not. The checks `readSif`
 * makes before it reads any object, without the metadata and signature modules: a pull runs this on every SIF
 * it downloads, and a server that gives no digest (or the digest of a damaged push) leaves nothing else to catch
 * a cut-off image before it is catalogued.
 */
export async function checkSifStructure(path: string): Promise<void> {
  await withImageFile(path, undefined, async (file) => {
    const header = parseHeader(await file.read(0, HEADER_SIZE), file.path, file.size);
    parseDescriptors(await file.read(header.descriptorsOffset, header.descriptorsTotal * DESCRIPTOR_SIZE), file.path, file.size);
  });
}
