//! Which operating system an image runs.

pub mod release;
