//! Terraform's JSON syntax (`.tf.json`, OpenTofu `.tofu.json`, `*.tfvars.json`).
//!
//! The file is parsed with jsonc-parser in strict JSON mode, which gives every
//! value its byte range. The block structure (`resource` → type → name → body)
//! is walked by hand; each attribute value is then parsed as an HCL expression
//! from its own text. A JSON value is also valid HCL expression syntax (objects
//! may use `:`), and JSON strings are templates in Terraform's JSON syntax just as
//! quoted strings are in HCL, so `"${var.x}"` means the same in both and every
//! span stays exact. A string whose escapes HCL does not share (`\/`, `\b`,
//! `\f`) falls back to its decoded value without a location. (Terraform reads
//! variable defaults and `.tfvars.json` values as literals rather than
//! templates; a `${` in such a string is rare enough to be read as a template
//! here, which at worst makes the value unknown.)
//!
//! Terraform decides whether a nested JSON object is a block or an attribute
//! from the provider's schema, which scopelint does not have: the nested block
//! types it reads ([`NESTED_BLOCKS`]) are taken as blocks, everything else as
//! attributes.

use super::syntax::ParseError;
use super::syntax::{Attr, Block, Body, Src};
use crate::source::{FileId, Loc};
use hcl::edit::expr::{Array, Expression, Object, ObjectKey, ObjectValue};
use jsonc_parser::ast::{ObjectProp, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

/// Nested block types read as blocks (a JSON object, or an array of objects, each one block).
const NESTED_BLOCKS: &[&str] = &[
    "service_account",
    "node_config",
    "node_pool",
    "cluster_autoscaling",
    "auto_provisioning_defaults",
    "cluster_config",
    "gce_cluster_config",
    "placement",
    "managed_cluster",
    "config",
    "software_config",
    "workload_identity_config",
    "workload_metadata_config",
    "binding",
    "content",
    "lifecycle",
    "provisioner",
    "connection",
];

/// Parses strict JSON into an AST with byte ranges.
pub fn parse_value(text: &str) -> Result<Value<'_>, ParseError> {
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(r) => r.value.ok_or_else(|| ParseError {
            line: 1,
            column: 1,
            message: "the file holds no JSON value".to_string(),
        }),
        Err(e) => Err(ParseError {
            line: e.line_display(),
            column: e.column_display(),
            message: e.kind().to_string(),
        }),
    }
}

/// Whether `text` is strict JSON (a patched `.tf.json` file must stay valid).
pub fn is_valid(text: &str) -> bool {
    parse_value(text).is_ok()
}

/// Walks JSON values of one file: `text` is what was parsed, `offset` the bytes before it.
struct Walker<'t> {
    text: &'t str,
    file: FileId,
    offset: usize,
}

impl Walker<'_> {
    fn loc(&self, r: jsonc_parser::common::Range) -> Loc {
        Loc::new(self.file, r.start + self.offset..r.end + self.offset)
    }

    /// The value as an HCL expression, with spans relative to `Src`.
    fn attr(&self, key: &str, value: &Value<'_>) -> Attr {
        let r = value.range();
        let raw = self.text.get(r.start..r.end).unwrap_or("");
        let src = Src {
            file: self.file,
            offset: self.offset + r.start,
        };
        let expr = hcl::edit::parser::parse_expr(raw).unwrap_or_else(|_| literal(value));
        Attr {
            key: key.to_string(),
            expr,
            src,
        }
    }

    /// A configuration file: `{"resource": {...}, "variable": {...}, ...}`.
    fn config(&self, root: &Value<'_>) -> Result<Body, ParseError> {
        let Value::Object(top) = root else {
            return Err(not_an_object());
        };
        let mut body = Body::default();
        for prop in visible(&top.properties) {
            let ident = prop.name.as_str();
            match ident {
                "resource" | "data" => {
                    for ty in props(&prop.value) {
                        for name in props(&ty.value) {
                            let labels =
                                vec![ty.name.as_str().to_string(), name.name.as_str().to_string()];
                            self.blocks(
                                ident,
                                labels,
                                self.loc(name.name.range()),
                                &name.value,
                                &mut body,
                            );
                        }
                    }
                }
                "module" | "variable" | "output" | "provider" => {
                    for name in props(&prop.value) {
                        let labels = vec![name.name.as_str().to_string()];
                        self.blocks(
                            ident,
                            labels,
                            self.loc(name.name.range()),
                            &name.value,
                            &mut body,
                        );
                    }
                }
                "locals" => {
                    self.blocks(
                        ident,
                        Vec::new(),
                        self.loc(prop.name.range()),
                        &prop.value,
                        &mut body,
                    );
                }
                _ => {}
            }
        }
        Ok(body)
    }

    /// One block per object: `value` is an object or an array of objects.
    fn blocks(
        &self,
        ident: &str,
        labels: Vec<String>,
        header: Loc,
        value: &Value<'_>,
        out: &mut Body,
    ) {
        let bodies: Vec<&Value<'_>> = match value {
            Value::Array(a) => a.elements.iter().collect(),
            v => vec![v],
        };
        for v in bodies {
            if let Value::Object(_) = v {
                out.blocks.push(Block {
                    ident: ident.to_string(),
                    labels: labels.clone(),
                    header: header.clone(),
                    span: Some(self.loc(v.range())),
                    body: self.body(v),
                });
            }
        }
    }

    /// The body of a block: nested block types become blocks, the rest attributes.
    fn body(&self, value: &Value<'_>) -> Body {
        let mut body = Body::default();
        let Value::Object(o) = value else {
            return body;
        };
        for prop in visible(&o.properties) {
            let key = prop.name.as_str();
            let header = self.loc(prop.name.range());
            if key == "dynamic" {
                for label in props(&prop.value) {
                    let labels = vec![label.name.as_str().to_string()];
                    self.blocks(
                        "dynamic",
                        labels,
                        self.loc(label.name.range()),
                        &label.value,
                        &mut body,
                    );
                }
            } else if NESTED_BLOCKS.contains(&key) && is_block_value(&prop.value) {
                self.blocks(key, Vec::new(), header, &prop.value, &mut body);
            } else {
                body.attrs.push(self.attr(key, &prop.value));
            }
        }
        body
    }

    /// A variable definitions file: `{"name": value, ...}`.
    fn tfvars(&self, root: &Value<'_>) -> Result<Body, ParseError> {
        let Value::Object(top) = root else {
            return Err(not_an_object());
        };
        Ok(Body {
            attrs: visible(&top.properties)
                .map(|p| self.attr(p.name.as_str(), &p.value))
                .collect(),
            blocks: Vec::new(),
        })
    }
}

/// Object properties, without Terraform's `"//"` comment properties.
fn visible<'v, 'a>(props: &'v [ObjectProp<'a>]) -> impl Iterator<Item = &'v ObjectProp<'a>> {
    props.iter().filter(|p| p.name.as_str() != "//")
}

/// The properties of an object value (none for anything else).
fn props<'v, 'a>(value: &'v Value<'a>) -> impl Iterator<Item = &'v ObjectProp<'a>> {
    let list: &[ObjectProp<'a>] = match value {
        Value::Object(o) => &o.properties,
        _ => &[],
    };
    visible(list)
}

fn is_block_value(v: &Value<'_>) -> bool {
    match v {
        Value::Object(_) => true,
        Value::Array(a) => {
            !a.elements.is_empty() && a.elements.iter().all(|e| matches!(e, Value::Object(_)))
        }
        _ => false,
    }
}

fn not_an_object() -> ParseError {
    ParseError {
        line: 1,
        column: 1,
        message: "a Terraform JSON file must hold one JSON object".to_string(),
    }
}

/// A JSON value as an expression without spans (for strings HCL cannot re-read).
fn literal(value: &Value<'_>) -> Expression {
    match value {
        Value::StringLit(s) => Expression::from(s.value.to_string()),
        Value::NumberLit(n) => n
            .value
            .parse::<f64>()
            .map_or_else(|_| Expression::null(), Expression::from),
        Value::BooleanLit(b) => Expression::from(b.value),
        Value::NullKeyword(_) => Expression::null(),
        Value::Array(a) => Expression::from(a.elements.iter().map(literal).collect::<Array>()),
        Value::Object(o) => Expression::from(
            o.properties
                .iter()
                .map(|p| {
                    (
                        ObjectKey::Expression(Expression::from(p.name.as_str().to_string())),
                        ObjectValue::new(literal(&p.value)),
                    )
                })
                .collect::<Object>(),
        ),
    }
}

/// Parses a `.tf.json`/`.tofu.json` file; `text` excludes a BOM of `offset` bytes.
pub fn parse_config(file: FileId, text: &str, offset: usize) -> Result<Body, ParseError> {
    let root = parse_value(text)?;
    Walker { text, file, offset }.config(&root)
}

/// Parses a `*.tfvars.json` file.
pub fn parse_tfvars(file: FileId, text: &str, offset: usize) -> Result<Body, ParseError> {
    let root = parse_value(text)?;
    Walker { text, file, offset }.tfvars(&root)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hcl::edit::Span;

    #[test]
    fn blocks_and_attribute_spans_match_the_json_text() {
        let text = r#"{
  "resource": {
    "google_compute_instance": {
      "vm": {
        "name": "vm-${var.env}",
        "service_account": {"email": "${var.email}", "scopes": ["cloud-platform"]},
        "dynamic": {"disk": {"for_each": "${var.disks}", "content": {"size": 10}}}
      }
    }
  },
  "variable": {"env": {"default": "prod"}},
  "//": "a comment"
}"#;
        let body = parse_config(FileId(0), text, 0).unwrap();
        assert_eq!(body.blocks.len(), 2);
        let vm = &body.blocks[0];
        assert_eq!(vm.ident, "resource");
        assert_eq!(vm.labels, ["google_compute_instance", "vm"]);
        assert_eq!(&text[vm.header.span.clone()], "\"vm\"");
        let sa = vm.body.block("service_account").unwrap();
        let scopes = sa.body.attr("scopes").unwrap();
        let loc = scopes.src.loc(scopes.expr.span()).unwrap();
        assert_eq!(&text[loc.span], "[\"cloud-platform\"]");
        let name = vm.body.attr("name").unwrap();
        assert!(matches!(name.expr, Expression::StringTemplate(_)));
        let dynamic = vm.body.block("dynamic").unwrap();
        assert_eq!(dynamic.labels, ["disk"]);
        assert!(dynamic.body.block("content").is_some());
    }

    #[test]
    fn strict_json_is_required() {
        assert!(parse_config(FileId(0), "{\"a\": 1,}", 0).is_err());
        assert!(parse_config(FileId(0), "[1]", 0).is_err());
        assert!(is_valid("{\"a\": [1, 2]}"));
    }
}
