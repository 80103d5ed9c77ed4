//! Rank fusion of the lexical and dense result lists.
//!
//! Properties: a chunk found by both retrievers outranks one found by only
//! one at the same ranks; fusion is deterministic (ties break by chunk id).

use std::collections::HashMap;

/// How BM25 and vector rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: `Σ w / (k + rank)`; `vector_weight` scales the dense list.
    Rrf { k: f32, vector_weight: f32 },
    /// Weighted sum `(1 - alpha) * bm25 + alpha * cosine`, BM25 divided by
    /// the best score; the cosine as it is, or stretched over the candidates
    /// (`stretch`: the best 1, the last 0).
    Weighted { alpha: f32, stretch: bool },
}

/// Cosines of a small model's top candidates lie close together (0.45 to
/// 0.60 is typical), so as they are they barely move a BM25 order whose
/// normalised scores span 0 to 1; stretched, the vector ranking counts in
/// proportion to `alpha`. Through MCP, mrr@10, weighted `alpha` 0.4 as it is
/// → 0.3 stretched: dev-60 0.756 → 0.795 (hit@5 0.917 both), v2 task
/// intents 0.242 → 0.270, issue titles 0.533 → 0.483 (one of ten, rank 1
/// → 2). With BM25 scores for the dense candidates outside its top list
/// (`Engine::rank`), alpha 0.25 / 0.3 / 0.33 / 0.35 / 0.4: dev-60 0.786 /
/// 0.801 / 0.800 / 0.789 / 0.774 (hit@5 0.917 up to 0.35, then 0.900), task
/// intents 0.267 / 0.298 / 0.319 / 0.321 / 0.325. Earlier, on dev-60 only:
/// RRF k=60 0.629, k=10 0.654.
impl Default for Fusion {
    fn default() -> Self {
        Fusion::Weighted {
            alpha: ALPHA,
            stretch: true,
        }
    }
}

/// Weighted fusion's alpha, its cosines stretched (see `Fusion::default`).
pub const ALPHA: f32 = 0.33;

/// Weighted fusion's alpha for a query that describes a task in words (it
/// pastes no message, and no identifier in it names an item of the
/// library): such words share fewer terms with the docs that answer them, so
/// the vectors count more. Through MCP, with the task form of the length
/// prior (0.3), summaries at 0.6 and the popularity prior at 0.4 (mrr@10,
/// hit@5 in brackets), 0.5 / 0.55 / 0.6: v2 task intents 0.460 (0.679) /
/// 0.466 (0.679) / 0.466 (0.691), dev-60 0.818 (0.983) / 0.844 (0.983) /
/// 0.835 (0.967). Before those, 0.33 / 0.4 / 0.5: task intents 0.398 /
/// 0.407 / 0.415, dev-60 0.836 / 0.844 / 0.824.
pub const TASK_ALPHA: f32 = 0.55;

/// Weighted fusion's alpha for a pasted diagnostic (`Fusion::for_message`).
pub const MESSAGE_ALPHA: f32 = 0.4;

impl Fusion {
    /// The fusion for a pasted diagnostic: its words are the evidence, and
    /// the cosine as it is only breaks ties. Stretched, v2's error messages
    /// lose 0.015 mrr@10 at the best alpha (0.1 to 0.2).
    pub fn for_message(alpha: f32) -> Fusion {
        Fusion::Weighted {
            alpha,
            stretch: false,
        }
    }
}

/// `(lowest, factor)`: a cosine `c` of the `vector` list counts as
/// `(c - lowest) * factor` in weighted fusion.
pub fn cosine_scale(vector: &[(i64, f32)], stretch: bool) -> (f32, f32) {
    match (stretch, vector.first(), vector.last()) {
        (true, Some(best), Some(last)) if best.1 - last.1 > 1e-6 => {
            (last.1, 1.0 / (best.1 - last.1))
        }
        // One candidate, or all equal: each is the best.
        (true, Some(best), Some(_)) => (best.1 - 1.0, 1.0),
        _ => (0.0, 1.0),
    }
}

/// Fuses two ranked lists of `(chunk id, score)`, best first.
pub fn fuse_ranks(bm25: &[(i64, f32)], vector: &[(i64, f32)], fusion: Fusion) -> Vec<(i64, f32)> {
    let mut scores: HashMap<i64, f32> = HashMap::new();
    match fusion {
        Fusion::Rrf { k, vector_weight } => {
            for (rank, (id, _)) in bm25.iter().enumerate() {
                *scores.entry(*id).or_default() += 1.0 / (k + rank as f32 + 1.0);
            }
            for (rank, (id, _)) in vector.iter().enumerate() {
                *scores.entry(*id).or_default() += vector_weight / (k + rank as f32 + 1.0);
            }
        }
        Fusion::Weighted { alpha, stretch } => {
            let top = bm25.first().map_or(1.0, |h| h.1.max(f32::EPSILON));
            for (id, s) in bm25 {
                *scores.entry(*id).or_default() += (1.0 - alpha) * s / top;
            }
            let (lowest, factor) = cosine_scale(vector, stretch);
            for (id, s) in vector {
                *scores.entry(*id).or_default() += alpha * ((s - lowest) * factor).max(0.0);
            }
        }
    }
    let mut out: Vec<(i64, f32)> = scores.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_beats_a_single_list() {
        let bm25 = [(1, 9.0), (2, 8.0), (3, 7.0)];
        let vector = [(4, 0.9), (2, 0.8), (5, 0.7)];
        let fused = fuse_ranks(&bm25, &vector, Fusion::default());
        assert_eq!(fused[0].0, 2);
        assert_eq!(fused.len(), 5);
        let weighted = fuse_ranks(&bm25, &vector, Fusion::for_message(MESSAGE_ALPHA));
        assert_eq!(weighted[0].0, 2);
    }

    #[test]
    fn stretched_cosines_let_the_vector_order_count() {
        // BM25 prefers 1 a little; the vectors prefer 2 by a small margin
        // of cosine, which as it is does not overturn BM25 but stretched does.
        let bm25 = [(1, 10.0), (2, 8.0), (3, 7.0)];
        let vector = [(2, 0.60), (3, 0.55), (1, 0.50)];
        let raw = fuse_ranks(&bm25, &vector, Fusion::for_message(0.3));
        assert_eq!(raw[0].0, 1);
        let stretched = fuse_ranks(&bm25, &vector, Fusion::default());
        assert_eq!(stretched[0].0, 2);
        // The last candidate counts 0, the best `alpha`.
        let (lowest, factor) = cosine_scale(&vector, true);
        assert!(((0.60 - lowest) * factor - 1.0).abs() < 1e-5);
        assert!(((0.50 - lowest) * factor).abs() < 1e-5);
        // A single candidate is the best one.
        let (lowest, factor) = cosine_scale(&[(7, 0.4)], true);
        assert!(((0.4 - lowest) * factor - 1.0).abs() < 1e-5);
        assert_eq!(cosine_scale(&vector, false), (0.0, 1.0));
    }

    #[test]
    fn one_empty_list_keeps_the_other_order() {
        let bm25 = [(3, 2.0), (1, 1.0)];
        let fused = fuse_ranks(&bm25, &[], Fusion::default());
        assert_eq!(fused.iter().map(|h| h.0).collect::<Vec<_>>(), [3, 1]);
    }
}
