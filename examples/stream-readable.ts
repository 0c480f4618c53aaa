/**
 * Scoring a stream as it arrives: lines of "timestamp,value" from a Node Readable (a socket, a file,
 * a child process' stdout) pushed point by point into a trained detector's stream.
 *
 *   npx tsx examples/stream-readable.ts
 */
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { ZmsDetector } from 'tsad';

const STEP = 60_000;
const t0 = Date.UTC(2024, 0, 1);
const level = (i: number) => 20 + Math.sin(i / 15) + 0.2 * Math.cos(i * 2.3);

const det = new ZmsDetector({ nLags: 2 });
det.train({
  t: Float64Array.from({ length: 1000 }, (_, i) => t0 + i * STEP),
  v: Float64Array.from({ length: 1000 }, (_, i) => level(i)),
});

// stands in for any Readable of CSV lines
async function* lines() {
  for (let i = 1000; i < 1300; i++) yield `${new Date(t0 + i * STEP).toISOString()},${level(i) + (i >= 1200 && i < 1204 ? 9 : 0)}\n`;
}
const input = Readable.from(lines());

const stream = det.stream();
let points = 0;
for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
  const [time, value] = line.split(',');
  const { score, alarm } = stream.push(Date.parse(time), Number(value));
  points++;
  if (alarm) console.log(`alarm at ${time}: score ${score.toFixed(2)}`);
}
console.log(`${points} points scored`);
