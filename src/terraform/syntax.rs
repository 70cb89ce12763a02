//! The structure of a Terraform file whatever its syntax: blocks with labels
//! and attributes whose values are hcl-edit expressions.
//!
//! Native files (`.tf`, `.tofu`) are parsed by hcl-edit as a whole; JSON files
//! (`.tf.json`, `.tofu.json`) are walked by [`super::json`], which parses each
//! attribute value on its own. Either way an attribute carries the [`Src`]
//! that turns its expression's spans into locations in the file.

pub use crate::source::ParseError;
use crate::source::{FileId, Loc};
use hcl::edit::Span;
use hcl::edit::expr::Expression;
use std::ops::Range;

/// Where an expression's spans live: its file, and the byte offset of the text
/// it was parsed from (a BOM for native files, the value's start for JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Src {
    pub file: FileId,
    pub offset: usize,
}

impl Src {
    pub fn loc(self, span: Option<Range<usize>>) -> Option<Loc> {
        span.map(|s| Loc::new(self.file, s.start + self.offset..s.end + self.offset))
    }

    pub fn loc_of(self, node: &impl Span) -> Option<Loc> {
        self.loc(node.span())
    }
}

/// An expression and the file it is written in.
#[derive(Clone, Copy)]
pub struct Def<'a> {
    pub expr: &'a Expression,
    pub src: Src,
}

impl Def<'_> {
    /// Where the expression is written.
    pub fn loc(&self) -> Option<Loc> {
        self.src.loc(self.expr.span())
    }
}

/// `key = expression`.
#[derive(Debug, Clone)]
pub struct Attr {
    pub key: String,
    pub expr: Expression,
    pub src: Src,
}

impl Attr {
    pub fn def(&self) -> Def<'_> {
        Def {
            expr: &self.expr,
            src: self.src,
        }
    }
}

/// `ident "label" ... { body }`.
#[derive(Debug, Clone)]
pub struct Block {
    pub ident: String,
    pub labels: Vec<String>,
    /// `ident "label" "label"`: what a finding about the whole block points at.
    pub header: Loc,
    /// The whole block.
    pub span: Option<Loc>,
    pub body: Body,
}

/// The attributes and nested blocks of a file or block, in source order.
#[derive(Debug, Clone, Default)]
pub struct Body {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

impl Body {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.key == key)
    }

    pub fn block(&self, ident: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.ident == ident)
    }

    pub fn blocks_named<'s>(&'s self, ident: &'s str) -> impl Iterator<Item = &'s Block> + 's {
        self.blocks.iter().filter(move |b| b.ident == ident)
    }

    /// Converts an hcl-edit body parsed from `src` (taking its expressions).
    pub fn from_hcl(body: hcl::edit::structure::Body, src: Src) -> Body {
        let mut out = Body::default();
        for structure in body {
            match structure {
                hcl::edit::structure::Structure::Attribute(a) => out.attrs.push(Attr {
                    key: a.key.as_str().to_string(),
                    expr: a.value,
                    src,
                }),
                hcl::edit::structure::Structure::Block(b) => {
                    out.blocks.push(Block::from_hcl(b, src))
                }
            }
        }
        out
    }
}

impl Block {
    fn from_hcl(block: hcl::edit::structure::Block, src: Src) -> Block {
        let start = block.ident.span().map_or(0, |s| s.start);
        let end = block
            .labels
            .last()
            .and_then(Span::span)
            .or_else(|| block.ident.span())
            .map_or(start, |s| s.end);
        Block {
            ident: block.ident.as_str().to_string(),
            labels: block
                .labels
                .iter()
                .map(|l| l.as_str().to_string())
                .collect(),
            header: Loc::new(src.file, start + src.offset..end + src.offset),
            span: src.loc_of(&block),
            body: Body::from_hcl(block.body, src),
        }
    }
}
