/**
 * Classic libpcap reader: the file header and records, each frame decoded by pcap-decode.ts
 * (layer types in pcap-types.ts).
 */
import { decodeFrame } from './pcap-decode';
import type { Frame, PcapCapture } from './pcap-types';

/** Why a Buffer is not a classic pcap file. */
export class PcapFormatError extends Error {}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** Parse a whole classic pcap file. */
export function readPcap(buf: Buffer): PcapCapture {
  if (buf.length < 24) throw new PcapFormatError(`not a pcap file: ${buf.length} bytes, a pcap header needs 24`);
  const le = buf.readUInt32LE(0);
  const bem = buf.readUInt32BE(0);
  let bigEndian: boolean;
  let nanos: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) {
    bigEndian = false;
    nanos = le === MAGIC_NS;
  } else if (bem === MAGIC_US || bem === MAGIC_NS) {
    bigEndian = true;
    nanos = bem === MAGIC_NS;
  } else if (bem === 0x0a0d0d0a) {
    throw new PcapFormatError(
      'pcapng files are not supported: capture with tcpdump -w (classic pcap) or convert with editcap -F pcap',
    );
  } else {
    throw new PcapFormatError(`not a pcap file: magic 0x${bem.toString(16).padStart(8, '0')}`);
  }
  const u32 = (o: number) => (bigEndian ? buf.readUInt32BE(o) : buf.readUInt32LE(o));
  const snaplen = u32(16);
  // The upper bits of the link-type field may carry FCS information; the type is the low 16.
  const linkType = u32(20) & 0xffff;
  const frames: Frame[] = [];
  let off = 24;
  let truncatedFile = false;
  while (off < buf.length) {
    if (off + 16 > buf.length) {
      truncatedFile = true;
      break;
    }
    const sec = u32(off);
    const frac = u32(off + 4);
    const caplen = u32(off + 8);
    const origLen = u32(off + 12);
    const start = off + 16;
    if (start + caplen > buf.length) {
      truncatedFile = true;
      break;
    }
    const data = buf.subarray(start, start + caplen);
    const nsec = nanos ? frac : frac * 1000;
    const pkt = decodeFrame(linkType, data);
    frames.push({
      frame: frames.length + 1,
      ts: sec + nsec / 1e9,
      sec,
      nsec,
      caplen,
      origLen,
      ...pkt,
      truncated: pkt.truncated || caplen < origLen,
    });
    off = start + caplen;
  }
  return { linkType, nanos, bigEndian, snaplen, frames, truncatedFile };
}

/** Parse a pcap Buffer into its frames. */
export function parsePcap(buf: Buffer): Frame[] {
  return readPcap(buf).frames;
}
