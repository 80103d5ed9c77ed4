//! Jupyter notebooks: Markdown cells become sections, code cells become code
//! blocks in the notebook's language. Outputs are left out.
//!
//! Line numbers count the cells' own lines in order (a notebook's JSON has no
//! useful lines of its own).

use serde::Deserialize;

use super::{Document, ParseError, parse_markdown};

#[derive(Deserialize)]
struct Notebook {
    cells: Vec<Cell>,
    #[serde(default)]
    metadata: serde_json::Value,
}

#[derive(Deserialize)]
struct Cell {
    cell_type: String,
    #[serde(default)]
    source: Source,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Source {
    Lines(Vec<String>),
    Text(String),
}

impl Default for Source {
    fn default() -> Self {
        Source::Text(String::new())
    }
}

impl Source {
    fn text(&self) -> String {
        match self {
            Source::Lines(lines) => lines.concat(),
            Source::Text(text) => text.clone(),
        }
    }
}

/// Parses the JSON of an `.ipynb` file; malformed JSON is an error.
pub fn parse_notebook(json: &str) -> Result<Document, ParseError> {
    let notebook: Notebook =
        serde_json::from_str(json).map_err(|e| ParseError::Notebook(e.to_string()))?;
    let language = notebook
        .metadata
        .pointer("/kernelspec/language")
        .or_else(|| notebook.metadata.pointer("/language_info/name"))
        .and_then(|v| v.as_str())
        .unwrap_or("python")
        .to_ascii_lowercase();
    let mut markdown = String::new();
    for cell in &notebook.cells {
        let text = cell.source.text();
        let text = text.trim_matches('\n');
        if text.trim().is_empty() {
            continue;
        }
        match cell.cell_type.as_str() {
            "markdown" => markdown.push_str(text),
            "code" => {
                // A fence longer than any backtick run inside the cell.
                let ticks = "`".repeat(longest_backtick_run(text).max(2) + 1);
                markdown.push_str(&format!("{ticks}{language}\n{text}\n{ticks}"));
            }
            _ => continue,
        }
        markdown.push_str("\n\n");
    }
    Ok(parse_markdown(&markdown, false))
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::BlockKind;

    #[test]
    fn cells_become_sections_and_code_blocks() {
        let json = r###"{
            "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
            "nbformat": 4,
            "cells": [
                {"cell_type": "markdown", "source": ["# Loading data\n", "\n", "Read a CSV file first."]},
                {"cell_type": "code", "source": "import pandas as pd\ndf = pd.read_csv('x.csv')", "outputs": []},
                {"cell_type": "raw", "source": "ignored"},
                {"cell_type": "markdown", "source": "## Plotting\nCall `df.plot()`."}
            ]
        }"###;
        let doc = parse_notebook(json).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Loading data"));
        let crumbs: Vec<_> = doc
            .sections
            .iter()
            .map(|s| s.breadcrumb.join(" › "))
            .collect();
        assert_eq!(crumbs, ["Loading data", "Loading data › Plotting"]);
        let code = doc.sections[0]
            .blocks
            .iter()
            .find(|b| matches!(b.kind, BlockKind::Code { .. }))
            .unwrap();
        assert_eq!(
            code.text,
            "```python\nimport pandas as pd\ndf = pd.read_csv('x.csv')\n```"
        );
        assert!(
            !doc.sections
                .iter()
                .any(|s| s.blocks.iter().any(|b| b.text.contains("ignored")))
        );
    }

    #[test]
    fn malformed_notebooks_are_errors() {
        let err = parse_notebook("{\"cells\": [").unwrap_err();
        assert!(err.to_string().contains("notebook"), "{err}");
        assert!(parse_notebook("[1, 2]").is_err());
    }
}
