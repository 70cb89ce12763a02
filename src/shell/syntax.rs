//! Parses shell text with tree-sitter-bash: exact byte spans for every word,
//! quote, expansion, comment and heredoc, and error recovery.

use tree_sitter::{Parser, Tree};

/// Parses `text` as a bash script; `None` only if the parser could not run.
pub fn parse(text: &str) -> Option<Tree> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .ok()?;
    parser.parse(text, None)
}

/// How many error or missing nodes the tree has (a patch must not add any).
pub fn error_count(tree: &Tree) -> usize {
    let mut count = 0;
    let mut cursor = tree.walk();
    let mut descend = true;
    loop {
        if descend {
            let n = cursor.node();
            if n.is_error() || n.is_missing() {
                count += 1;
            }
            if n.has_error() && cursor.goto_first_child() {
                continue;
            }
        }
        if cursor.goto_next_sibling() {
            descend = true;
            continue;
        }
        if !cursor.goto_parent() {
            break;
        }
        descend = false;
    }
    count
}
