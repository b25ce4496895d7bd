// Directories as content: a directory's entry stream is stored exactly like file content,
// with DIR leaves, so a directory of any size fits the store's block limit.
import { corruptData, invalid } from '../errors.js';
import type { Score } from '../store/index.js';
import { readAll, writeContent, type BlockReader, type BlockWriter } from './content.js';
import { DIR, decodeDirectory, encodeDirectory, isZeroScore, type Entry } from './format.js';

/** The entries of directory `dir` (an entry of kind 'dir', or a root's top). */
export async function readDirectory(store: BlockReader, dir: Pick<Entry, 'kind' | 'size' | 'score' | 'name'>, blockSize: number): Promise<Entry[]> {
  if (dir.kind !== 'dir') throw invalid(`${JSON.stringify(dir.name.toString())} is not a directory`);
  if (dir.size === 0) return [];
  if (isZeroScore(dir.score)) throw corruptData(`directory ${JSON.stringify(dir.name.toString())} has a size but no content`);
  return decodeDirectory(await readAll(store, dir.score, dir.size, blockSize, DIR));
}

/** Writes a directory's entries (sorted by name bytes); returns the `size` and `score` for its entry. */
export async function writeDirectory(store: BlockWriter, entries: Entry[], blockSize: number): Promise<{ score: Score; size: number }> {
  return writeContent(store, encodeDirectory(entries), blockSize, DIR);
}
