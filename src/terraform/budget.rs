//! The evaluation budget: how large a value one expression may produce, and
//! how many expressions one root module may evaluate.
//!
//! A kilobyte of Terraform can describe gigabytes (sixty locals that each
//! double a string, `concat(a, a)` chains, a `for` inside a `for` over
//! `range(10000)`). Past a limit the value becomes unknown, like any value
//! that cannot be resolved: it never produces a finding, and `--verbose`
//! says which expression hit which limit.

use super::eval::V;

/// The most text one value may hold, summed over its strings and map keys.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// The most elements one value may hold, summed over its nested lists and maps.
pub const MAX_VALUE_ELEMENTS: usize = 100_000;
/// The most module instances one root module may hold, its own included.
pub const MAX_MODULE_INSTANCES_PER_ROOT: usize = 10_000;
/// The most expressions one root module evaluates, modules included.
pub const MAX_STEPS: usize = 5_000_000;

/// The size of a value, measured only as far as the budget: a value far over
/// it costs no more to measure than one just over it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Size {
    bytes: usize,
    elements: usize,
}

impl Size {
    /// Adds `v` to the size, without recursion (values nest as deep as the input).
    pub fn add(&mut self, v: &V) {
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                V::Str(s) => self.bytes = self.bytes.saturating_add(s.len()),
                V::List(items) | V::OneOf(items) => {
                    self.elements = self.elements.saturating_add(items.len());
                    if self.over().is_none() {
                        stack.extend(items.iter().map(|i| &i.v));
                    }
                }
                V::Map(m) => {
                    self.elements = self.elements.saturating_add(m.len());
                    if self.over().is_none() {
                        for (k, x) in m {
                            self.bytes = self.bytes.saturating_add(k.len());
                            stack.push(&x.v);
                        }
                    }
                }
                V::Unknown | V::Error | V::Null | V::Bool(_) | V::Num(_) => {}
            }
            if self.over().is_some() {
                return;
            }
        }
    }

    /// The size of one value.
    pub fn of(v: &V) -> Size {
        let mut size = Size::default();
        if matches!(v, V::Str(_) | V::List(_) | V::Map(_) | V::OneOf(_)) {
            size.add(v);
        }
        size
    }

    /// Which limit the size is over, in words, if any.
    pub fn over(&self) -> Option<String> {
        if self.bytes > MAX_VALUE_BYTES {
            Some(format!(
                "the value is over the evaluation budget of {} of text, so it is unknown",
                crate::read::human_size(MAX_VALUE_BYTES as u64)
            ))
        } else if self.elements > MAX_VALUE_ELEMENTS {
            Some(format!(
                "the value is over the evaluation budget of {MAX_VALUE_ELEMENTS} elements, so it is unknown"
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::eval::Val;

    #[test]
    fn sizes_stop_at_the_budget() {
        let small = V::List(vec![Val::str("a", None), Val::str("bc", None)].into());
        assert!(Size::of(&small).over().is_none());
        let long = V::Str("x".repeat(MAX_VALUE_BYTES + 1));
        assert!(
            Size::of(&long)
                .over()
                .is_some_and(|w| w.contains("1 MiB of text"))
        );
        let many = V::List(vec![Val::new(V::Null, None); MAX_VALUE_ELEMENTS + 1].into());
        assert!(
            Size::of(&many)
                .over()
                .is_some_and(|w| w.contains("100000 elements"))
        );
        // Nested far deeper than any stack would allow: measured without recursion.
        let mut deep = V::Str("x".into());
        for _ in 0..200_000 {
            deep = V::OneOf(vec![Val::new(deep, None)].into());
        }
        assert!(Size::of(&deep).over().is_some());
        // Dropping a deep value recurses in the standard library: leak it in the test.
        std::mem::forget(deep);
    }
}
