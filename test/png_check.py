#!/usr/bin/env python3
"""png_check.py FILE WIDTH HEIGHT -- checks that a PNG (a chart rendered by Chromium) has the
given size and is not blank: at least 1 % of its pixels differ from the background (the top-left
pixel) and it has at least 4 colours.  Standard library only (zlib); prints one summary line."""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('unsupported PNG layout %r' % (hdr,))
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w, h, bpp, rows = pixels(path)
    bg = rows[0][:3]
    colours, differ = set(), 0
    for r in rows:
        for x in range(0, len(r), bpp):
            px = r[x:x + 3]
            colours.add(px)
            differ += px != bg
    share = differ / float(w * h)
    print('%dx%d, %d colours, %.1f %% of pixels drawn' % (w, h, len(colours), 100 * share))
    ok = (w, h) == (want_w, want_h) and share >= 0.01 and len(colours) >= 4
    sys.exit(0 if ok else 1)


main()
