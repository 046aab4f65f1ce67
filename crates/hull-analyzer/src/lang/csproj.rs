//! .NET project files (`*.csproj`, `*.fsproj`, `*.vbproj`; directory scans): every
//! `<PackageReference Include="Name" Version="1.2.3" />` (also with a nested `<Version>`
//! element) whose version is exact. Ranges (`[1.0,2.0)`) and floating versions (`1.*`) and
//! versions from MSBuild properties (`$(Ver)`) name no single release and are skipped.

use hull_types::PackageKind;
use regex::Regex;
use std::sync::LazyLock;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Exact `PackageReference`s of `*.csproj` (directory scans).
pub struct Csproj;

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)<PackageReference\b([^>]*?)(?:/>|>(.*?)</PackageReference>)"#)
        .expect("static regex")
});
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(Include|Update|Version)\s*=\s*"([^"]*)""#).expect("static regex")
});
static VERSION_ELEMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<Version>\s*([^<]*?)\s*</Version>").expect("static regex"));

impl Analyzer for Csproj {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("dotnet-project")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        let b = base(path);
        b.ends_with(".csproj") || b.ends_with(".fsproj") || b.ends_with(".vbproj")
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = String::from_utf8_lossy(file.bytes);
        let mut out = Vec::new();
        for c in REFERENCE.captures_iter(&text) {
            let attrs = c.get(1).map_or("", |m| m.as_str());
            let mut name = None;
            let mut version = None;
            for a in ATTR.captures_iter(attrs) {
                match a[1].to_ascii_lowercase().as_str() {
                    "include" => name = Some(a[2].to_string()),
                    "version" => version = Some(a[2].to_string()),
                    _ => {}
                }
            }
            if version.is_none() {
                version = c
                    .get(2)
                    .and_then(|body| VERSION_ELEMENT.captures(body.as_str()))
                    .map(|v| v[1].to_string());
            }
            let (Some(n), Some(v)) = (name, version) else {
                continue;
            };
            let exact = !v.is_empty()
                && !v.contains(['*', '[', '(', ',', '$'])
                && v.chars().next().is_some_and(|c| c.is_ascii_digit());
            if exact {
                out.push(package(PackageKind::NuGet, &n, &v, file.path));
            }
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_references() {
        let text = br#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="13.0.1" />
    <PackageReference Include="Serilog">
      <Version>2.12.0</Version>
    </PackageReference>
    <PackageReference Include="Floating" Version="1.*" />
    <PackageReference Include="Ranged" Version="[1.0,2.0)" />
    <PackageReference Include="FromProperty" Version="$(SerilogVersion)" />
  </ItemGroup>
</Project>"#;
        let out = Csproj
            .analyze(&FileInput {
                path: "/src/app.csproj",
                bytes: text,
            })
            .unwrap();
        let got: Vec<(&str, &str)> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, [("Newtonsoft.Json", "13.0.1"), ("Serilog", "2.12.0")]);
    }
}
