#![no_main]
use libfuzzer_sys::fuzz_target;
use package_extract::layer::{Expected, Limits, index_layer};
use package_extract::{build_report, inventory, sbom};

// A layer blob (gzip, zstd or plain tar, sniffed as the walk does) read into an index, overlaid,
// and run through every cataloger (os-release, dpkg, apk, rpm databases, Python metadata, ELF,
// CUDA, ownership) and both SBOM writers: each must end in facts or an error. Small limits keep
// bombs from taking the run's memory.
fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_entries: 10_000,
        max_layer_bytes: 64 << 20,
        max_expansion_ratio: 200,
        ratio_grace_bytes: 1 << 20,
        max_captured_file: 8 << 20,
    };
    let Ok(index) = index_layer(0, data, &Expected::default(), &limits, true) else {
        return;
    };
    let walked = inventory::assemble(None, vec![index]);
    let report = build_report(&walked);
    let packages = sbom::packages(&report);
    let subject = sbom::Subject {
        name: "fuzz".into(),
        digest: None,
    };
    let _ = sbom::cyclonedx::document(&subject, &packages, "2026-01-01T00:00:00Z", "0");
    let _ = sbom::spdx::document(&subject, &packages, "2026-01-01T00:00:00Z", "0");
});
