//! Progress on standard error, only when it is a terminal and not `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new(visible: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} reading layers {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar { bar }
    }
}

impl hull_scan::Progress for Bar {
    fn start(&self, total: u64, layers: usize) {
        self.bar.set_length(total);
        self.bar.set_message(format!("({layers} to read)"));
        self.bar.set_position(0);
        self.bar.tick();
    }
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
    fn layer_done(&self) {}
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
