//! Configuration checks on what a scan reads: the image config and history, and the
//! Dockerfiles and Kubernetes manifests of a directory.

use std::io::Read;
use std::path::Path;

use hull_config::image::{ImageView, ModeEntry};
use hull_config::{FileKind, InputFile};
use hull_image::Image;
use hull_types::{Misconfiguration, Secret, Warning};

use crate::dirwalk::DirWalk;
use crate::dispatch::SecretOptions;
use crate::model::ModeRecord;

/// Largest manifest or Dockerfile read (real `helm template` output runs to tens of MiB);
/// larger YAML/JSON met in a directory walk is data, not configuration, while a file named
/// on the command line is handed on and reported unchecked (`k8s-unreadable-document`).
const MAX_CONFIG_FILE: u64 = 64 << 20;
/// Directory depth and entry bounds for the walk.
const MAX_DEPTH: usize = 64;
const MAX_ENTRIES: u64 = 2_000_000;
/// Directories that hold other people's files, not the project's configuration.
const SKIP_DIRS: &[&str] = &[".git", "node_modules", ".terraform", "__pycache__"];

/// Checks an image's config and history, and the special file modes that survive its layers'
/// whiteouts (with the index of the layer that holds each).
pub(crate) fn check_image_config(
    image: &Image,
    modes: &[(usize, ModeRecord)],
) -> Vec<Misconfiguration> {
    let cfg = &image.config;
    let mut layer = 0usize;
    let history = cfg
        .history
        .iter()
        .map(|h| {
            let idx = if h.empty_layer {
                None
            } else {
                layer += 1;
                Some(layer - 1)
            };
            (idx, h.created_by.clone().unwrap_or_default())
        })
        .collect::<Vec<_>>();
    let own_from = hull_config::image::own_layers_start(&history);
    let view = ImageView {
        user: cfg.config.user.clone(),
        env: cfg.config.env.clone().unwrap_or_default(),
        labels: cfg.config.labels.clone().unwrap_or_default(),
        exposed_ports: cfg
            .config
            .exposed_ports
            .as_ref()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        healthcheck: cfg.config.healthcheck.as_ref().map(|h| h.test.clone()),
        history,
    };
    let modes: Vec<ModeEntry> = modes
        .iter()
        .map(|(layer, m)| ModeEntry {
            layer: *layer,
            path: m.path.clone(),
            mode: m.mode,
            is_dir: m.is_dir,
        })
        .collect();
    hull_config::image::check(&view, &modes, own_from)
}

/// Reads the Dockerfiles and YAML/JSON files under `root` that may be configuration.
/// Symlinks are not followed; YAML/JSON without an `apiVersion` is skipped unread past the
/// first bytes that say so.
pub(crate) fn collect_config_files(root: &Path) -> (Vec<InputFile>, Vec<Warning>) {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    if root.is_file() {
        read_one(
            root,
            &root.display().to_string(),
            true,
            &mut files,
            &mut warnings,
        );
        return (files, warnings);
    }
    let walked = DirWalk {
        max_depth: MAX_DEPTH,
        max_entries: MAX_ENTRIES,
        skip_dirs: SKIP_DIRS,
        leading_slash: false,
    }
    .run(root, |f| {
        let name = f.entry.file_name();
        if f.file_type.is_file() && FileKind::of(&name.to_string_lossy()).is_some() {
            read_one(&f.entry.path(), &f.rel, false, &mut files, &mut warnings);
        }
    });
    match walked {
        Ok(w) => warnings.extend(w.into_iter().map(|(path, message)| Warning {
            layer: None,
            path,
            message,
        })),
        Err(e) => warnings.push(Warning {
            layer: None,
            path: String::new(),
            message: format!("unreadable directory: {e}"),
        }),
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, warnings)
}

fn read_one(
    p: &Path,
    shown: &str,
    explicit: bool,
    files: &mut Vec<InputFile>,
    warnings: &mut Vec<Warning>,
) {
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(p).and_then(|f| f.take(MAX_CONFIG_FILE + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        warnings.push(Warning {
            layer: None,
            path: shown.to_string(),
            message: format!("unreadable: {e}"),
        });
        return;
    }
    if bytes.len() as u64 > MAX_CONFIG_FILE && !explicit {
        return;
    }
    let kind = FileKind::of(shown).unwrap_or(FileKind::Manifest);
    // A manifest names its apiVersion; other YAML/JSON (package.json, CI files) is skipped.
    if kind == FileKind::Manifest
        && !explicit
        && memchr::memmem::find(&bytes, b"apiVersion").is_none()
    {
        return;
    }
    files.push(InputFile {
        path: shown.to_string(),
        bytes,
    });
}

/// Secrets in the image config (Env, Labels, Cmd, Entrypoint) and the history's
/// `created_by` lines, where build arguments leak (`RUN |1 NPM_TOKEN=… /bin/sh -c …`).
/// Each part is scanned as the file it resembles (`Env` as a `.env` file, so the rules for
/// secret-named variables apply), and reported under its own name.
/// The config's text a scanner reads: (target, the file name its rules see it as, text) for
/// Env and Labels (`NAME=value` lines), Entrypoint and Cmd, and the history (a build step
/// a line).
fn config_texts(image: &Image) -> Vec<(&'static str, &'static str, String)> {
    let cfg = &image.config;
    let mut parts = Vec::new();
    if let Some(env) = &cfg.config.env {
        parts.push(("image config (Env)", ".env", env.join("\n")));
    }
    if let Some(labels) = &cfg.config.labels {
        let text = labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n");
        parts.push(("image config (Labels)", ".env", text));
    }
    for (name, v) in [
        ("image config (Entrypoint)", &cfg.config.entrypoint),
        ("image config (Cmd)", &cfg.config.cmd),
    ] {
        if let Some(v) = v {
            parts.push((name, "cmd.sh", v.join(" ")));
        }
    }
    let history: Vec<String> = cfg
        .history
        .iter()
        .map(|h| h.created_by.clone().unwrap_or_default().replace('\n', " "))
        .collect();
    parts.push(("image history", "history.sh", history.join("\n")));
    parts
}

pub(crate) fn config_secrets(image: &Image, opts: &SecretOptions) -> Vec<Secret> {
    let mut parts = config_texts(image);
    let history: Vec<String> = image
        .config
        .history
        .iter()
        .map(|h| h.created_by.clone().unwrap_or_default().replace('\n', " "))
        .collect();
    // Build arguments as `NAME=value` lines, one per line, so assignment rules see them.
    let args: Vec<String> = history
        .iter()
        .map(|l| {
            l.split_whitespace()
                .take_while(|w| !w.starts_with('/'))
                .filter(|w| w.contains('=') && !w.starts_with('|'))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    parts.push(("image history", ".env", args.join("\n")));

    let mut out: Vec<Secret> = Vec::new();
    for (target, as_path, text) in parts {
        for s in opts.scan_as(as_path, target, text.as_bytes()) {
            out.push(Secret {
                target: target.to_string(),
                line: s.line,
                column: s.column,
                rule: s.rule,
                description: s.description,
                severity: s.severity,
                layer: None,
                deleted_in: None,
                redacted: s.redacted,
                fingerprint: s.fingerprint,
                secret: s.secret,
            });
        }
    }
    // The same secret found in a history line and in its extracted build argument is one
    // finding: keep the first (the line itself).
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|s| seen.insert((s.target.clone(), s.redacted.clone(), s.rule.clone())));
    out.sort();
    out
}

/// Network indicators in the image config (Env, Labels, Cmd, Entrypoint) and history: a
/// C2 address baked into an environment variable or fetched by a build step.
pub(crate) fn config_detections(
    image: &Image,
    detector: &hull_malware::Detector,
) -> Vec<hull_types::Detection> {
    let parts = config_texts(image);
    let mut out: Vec<hull_types::Detection> = parts
        .iter()
        .flat_map(|(target, _, text)| detector.scan_text(target, text))
        .collect();
    out.sort();
    out.dedup();
    out
}
