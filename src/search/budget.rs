//! Token-budgeted answers: the best sections, whole, in rank order.
//!
//! Properties: results appear in rank order; a code fence is never cut; the
//! first result is always shown (cut between blocks if it alone is over the
//! budget); everything left out is counted.

use crate::index::StoredChunk;

/// A ranked chunk with its fused score.
#[derive(Debug, Clone)]
pub struct Hit {
    pub chunk: StoredChunk,
    pub score: f32,
}

/// One section as it appears in an answer.
#[derive(Debug, Clone)]
pub struct AnswerPart {
    pub hit: Hit,
    /// Text shown (the chunk's text, cut if it alone exceeded the budget).
    pub text: String,
    pub tokens: u32,
    pub truncated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub parts: Vec<AnswerPart>,
    pub tokens_used: u32,
    pub omitted: usize,
}

/// Tokens charged per result for its heading, source line and separator.
const RESULT_OVERHEAD: u32 = 16;

/// Fills `budget` tokens with `hits` in order; hits that do not fit are
/// skipped (a smaller one further down may still fit) and counted.
pub fn assemble_answer(hits: Vec<Hit>, budget: u32, max_results: usize) -> Answer {
    let mut answer = Answer::default();
    for hit in hits {
        if answer.parts.len() >= max_results {
            answer.omitted += 1;
            continue;
        }
        let header =
            (hit.chunk.breadcrumb.len() + hit.chunk.path.len()) as u32 / 4 + RESULT_OVERHEAD;
        let cost = hit.chunk.tokens + header;
        if answer.tokens_used + cost <= budget {
            answer.tokens_used += cost;
            answer.parts.push(AnswerPart {
                text: hit.chunk.text.clone(),
                tokens: cost,
                truncated: false,
                hit,
            });
        } else if answer.parts.is_empty() {
            let room = budget.saturating_sub(header);
            let text = cut_between_blocks(&hit.chunk.text, hit.chunk.tokens, room);
            let tokens = estimate_share(&text, &hit.chunk.text, hit.chunk.tokens) + header;
            answer.tokens_used += tokens;
            answer.parts.push(AnswerPart {
                text,
                tokens,
                truncated: true,
                hit,
            });
        } else {
            answer.omitted += 1;
        }
    }
    answer
}

/// The chunk's share of tokens for a prefix of its text.
fn estimate_share(part: &str, whole: &str, whole_tokens: u32) -> u32 {
    if whole.is_empty() {
        return 0;
    }
    ((part.len() as f64 / whole.len() as f64) * whole_tokens as f64).ceil() as u32
}

/// The longest prefix of `text` ending at a block boundary (a blank line
/// outside code fences) whose estimated tokens fit in `room`. Never empty:
/// if even the first block is too big it is returned whole.
fn cut_between_blocks(text: &str, tokens: u32, room: u32) -> String {
    let mut boundaries = Vec::new();
    let mut in_fence = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        offset += line.len();
        if !in_fence && line.trim().is_empty() {
            boundaries.push(offset);
        }
    }
    let fits = |end: usize| estimate_share(&text[..end], text, tokens) <= room;
    let best = boundaries
        .iter()
        .rev()
        .find(|&&b| fits(b))
        .or(boundaries.first());
    match best {
        Some(&end) => text[..end].trim_end().to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: i64, text: &str, tokens: u32) -> Hit {
        Hit {
            chunk: StoredChunk {
                id,
                breadcrumb: "A".into(),
                text: text.into(),
                path: "a.md".into(),
                title: None,
                start_line: 1,
                end_line: 2,
                tokens,
                internal: false,
            },
            score: 1.0,
        }
    }

    #[test]
    fn results_fill_the_budget_in_rank_order_and_count_the_rest() {
        let hits = vec![
            hit(1, "one", 300),
            hit(2, "two", 300),
            hit(3, "three", 50),
            hit(4, "four", 400),
        ];
        let answer = assemble_answer(hits, 750, 10);
        let ids: Vec<i64> = answer.parts.iter().map(|p| p.hit.chunk.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(answer.omitted, 1);
        assert!(answer.tokens_used <= 750);
    }

    #[test]
    fn an_oversized_first_result_is_cut_between_blocks_never_inside_code() {
        let text = format!(
            "intro\n\n```\n{}```\n\n{}",
            "code line\n\ncode\n".repeat(50),
            "tail ".repeat(400)
        );
        let answer = assemble_answer(vec![hit(1, &text, 1000)], 500, 10);
        let part = &answer.parts[0];
        assert!(part.truncated);
        assert_eq!(part.text.matches("```").count() % 2, 0, "{}", part.text);
        assert!(part.text.len() < text.len());
    }
}
