// A minimal ustar header for a regular file, built by hand so attack tests can put any
// name and size in it (and wrap it in gzip or cut it short) without a tar library.

/** The 512-byte ustar header of a regular file `name` (mode 0644, owner 0) of `size` bytes. */
export function ustarHeader(name: string, size: number): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 'latin1');
  b.write('0000644\0', 100); b.write('0000000\0', 108); b.write('0000000\0', 116);
  b.write(size.toString(8).padStart(11, '0') + '\0', 124);
  b.write('00000000000\0', 136);
  b.write('0', 156);
  b.write('ustar\x0000', 257, 'latin1');
  b.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

/** A whole archive of one file holding `body`: header, padded body, end marker. */
export function tarOf(name: string, body: Buffer): Buffer {
  return Buffer.concat([ustarHeader(name, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512), Buffer.alloc(1024)]);
}
