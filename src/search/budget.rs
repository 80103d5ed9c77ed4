//! Token-budgeted answers: the best sections in rank order, whole where
//! they fit.
//!
//! Properties: results appear in rank order; a code fence is never cut; the
//! first result is always shown (cut between blocks if it alone is over the
//! budget); a later one that does not fit whole is shown by its opening
//! blocks while enough of the budget is left; everything left out is counted.

use crate::index::StoredChunk;

/// A ranked chunk with its fused score.
#[derive(Debug, Clone)]
pub struct Hit {
    pub chunk: StoredChunk,
    pub score: f32,
    /// The line ranges its text shows, in source order: the chunk's own, or
    /// one per part where neighbouring sections with lines between them were
    /// joined into one result (the chunk's lines are then their envelope).
    pub ranges: Vec<(u32, u32)>,
}

impl Hit {
    pub fn new(chunk: StoredChunk, score: f32) -> Hit {
        let ranges = vec![(chunk.start_line, chunk.end_line)];
        Hit {
            chunk,
            score,
            ranges,
        }
    }

    /// Where its text comes from: `path#La-Lb` for each of its line ranges,
    /// comma-separated.
    pub fn source(&self) -> String {
        self.ranges
            .iter()
            .map(|(start, end)| format!("{}#L{start}-L{end}", self.chunk.path))
            .collect::<Vec<_>>()
            .join(", ")
    }
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

/// A later section that does not fit whole is shown by its opening blocks
/// (an API item's signature and summary) in at most this many tokens...
const SHORTENED_MAX: u32 = 250;

/// ...where at least this many tokens of the budget are left for them.
const SHORTENED_MIN: u32 = 100;

/// Fills `budget` tokens with `hits` in order. A hit that does not fit is
/// shown shortened to its opening blocks where room is left, else skipped
/// (a smaller one further down may still fit) and counted. Through MCP,
/// skipping instead held out of answers sections ranked in their top ten:
/// with a budget of 10,000 tokens instead of 5,000, v2 task intents had
/// success@10 0.679 instead of 0.630.
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
        let shortened = |room: u32| {
            let text = cut_between_blocks(&hit.chunk.text, hit.chunk.tokens, room);
            let tokens = estimate_share(&text, &hit.chunk.text, hit.chunk.tokens) + header;
            (text, tokens, true)
        };
        let shown = if answer.tokens_used + cost <= budget {
            Some((hit.chunk.text.clone(), cost, false))
        } else if answer.parts.is_empty() {
            Some(shortened(budget.saturating_sub(header)))
        } else {
            let room = budget
                .saturating_sub(answer.tokens_used + header)
                .min(SHORTENED_MAX);
            // Its first block alone may still be too long.
            (room >= SHORTENED_MIN)
                .then(|| shortened(room))
                .filter(|(_, tokens, _)| answer.tokens_used + tokens <= budget)
        };
        match shown {
            Some((text, tokens, truncated)) => {
                answer.tokens_used += tokens;
                answer.parts.push(AnswerPart {
                    text,
                    tokens,
                    truncated,
                    hit,
                });
            }
            None => answer.omitted += 1,
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
        Hit::new(
            StoredChunk {
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
            1.0,
        )
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
    fn a_later_result_that_does_not_fit_is_shown_by_its_opening_blocks() {
        let long = format!(
            "Signature.\n\nSummary line.\n\n{}",
            "more words ".repeat(400)
        );
        let hits = vec![
            hit(1, "one", 500),
            hit(2, &long, 1200),
            hit(3, "three", 100),
        ];
        let answer = assemble_answer(hits, 1000, 10);
        let ids: Vec<i64> = answer.parts.iter().map(|p| p.hit.chunk.id).collect();
        assert_eq!(ids, [1, 2, 3]);
        let part = &answer.parts[1];
        assert!(part.truncated);
        assert!(
            part.text.starts_with("Signature.\n\nSummary line."),
            "{}",
            part.text
        );
        // Cut at the last block boundary that fits: the long block is left out.
        assert_eq!(part.text, "Signature.\n\nSummary line.");
        assert!(
            part.tokens <= SHORTENED_MAX + RESULT_OVERHEAD,
            "{}",
            part.tokens
        );
        assert!(answer.tokens_used <= 1000);
        assert_eq!(answer.omitted, 0);
        // With too little room left, it is skipped and counted.
        let hits = vec![hit(1, "one", 900), hit(2, &long, 1200)];
        let answer = assemble_answer(hits, 1000, 10);
        assert_eq!(answer.parts.len(), 1);
        assert_eq!(answer.omitted, 1);
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
