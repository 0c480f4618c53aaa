import { unpackFloats, unpackInts } from '../../../src/internal.js';

interface PackedForest {
  points: { seqs: string; coords: string };
  trees: { dims: string; cuts: string; leaves: string; weights: string; slots: string }[];
}

/**
 * The forest state as tsad wrote it before packed arrays (plain JSON arrays; per tree `values`
 * holds the cut values and, at leaves, the sequence number of the leaf's point; `seqs` the
 * sampler's sequence numbers), built from a packed state by decoding it.
 */
export function arrayForm(st: PackedForest): Record<string, unknown> {
  const big = { max: 1e6 };
  const pointSeqs = Array.from(unpackInts(st.points.seqs, 's', 1, Number.MAX_SAFE_INTEGER, big));
  return {
    ...st,
    points: { seqs: pointSeqs, coords: Array.from(unpackFloats(st.points.coords, 'c', big)) },
    trees: st.trees.map((t) => {
      const dims = Array.from(unpackInts(t.dims, 'd', -1, 1e4, big));
      const cuts = unpackFloats(t.cuts, 'c', big);
      const leaves = unpackInts(t.leaves, 'l', 0, 1e6, big);
      let c = 0;
      let l = 0;
      const values = dims.map((dim) => (dim === -1 ? pointSeqs[leaves[l++]] : cuts[c++]));
      const slots = Array.from(unpackInts(t.slots, 's', 0, 1e6, big));
      return {
        dims,
        values,
        weights: Array.from(unpackFloats(t.weights, 'w', big)),
        seqs: slots.map((i) => pointSeqs[i]),
      };
    }),
  };
}
