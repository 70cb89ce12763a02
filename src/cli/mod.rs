//! The subcommands of the `scopelint` binary, one file each.

pub mod check;
pub mod explain;
pub mod kb;
pub mod rule;
