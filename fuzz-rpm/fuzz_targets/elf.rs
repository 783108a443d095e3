#![no_main]
use libfuzzer_sys::fuzz_target;
use package_extract::elf;

// An ELF object from a layer: read whole, and read sparsely from a stream as the layer walk
// does; both must end in facts or an error. The sparse reader keeps at most 1 MiB here.
fuzz_target!(|data: &[u8]| {
    let _ = elf::parse(data);
    let mut reader = data;
    if let Ok(sparse) = elf::read_sparse(&mut reader, data.len() as u64, 1 << 20) {
        let _ = elf::parse_from(&sparse);
    }
});
