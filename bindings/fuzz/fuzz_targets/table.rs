//! Fuzzes the APR table layer (`bindings::table`) with header-like bytes of every kind: a
//! sequence of set/add/unset/read operations on a real APR table. Keys and values with NUL
//! are refused (a C table cannot hold them); anything else is stored as given and read back
//! as written, keys matched without regard to ASCII case; nothing panics.
#![no_main]

use bindings::table::OwnedTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    bindings::pool::initialize_apr();
    let Ok(owned) = OwnedTable::new(4) else { return };
    let t = owned.table();
    for op in data.split(|&b| b == 0xfe) {
        let Some((&kind, rest)) = op.split_first() else { continue };
        let eq = rest.iter().position(|&b| b == b'=').unwrap_or(rest.len());
        let (k, v) = (&rest[..eq], rest.get(eq + 1..).unwrap_or(&[]));
        let storable = !k.contains(&0) && !v.contains(&0);
        match kind % 4 {
            0 => {
                let r = t.set(k, v);
                assert_eq!(r.is_ok(), storable, "set {k:?} {v:?}");
                if storable {
                    assert_eq!(t.get(k), Some(v));
                    assert_eq!(t.get(&k.to_ascii_uppercase()), Some(v));
                    assert_eq!(t.get_all(k).len(), 1);
                }
            }
            1 => {
                let before = if storable { t.get_all(k).len() } else { 0 };
                let r = t.add(k, v);
                assert_eq!(r.is_ok(), storable, "add {k:?} {v:?}");
                if storable {
                    let all = t.get_all(k);
                    assert_eq!(all.len(), before + 1);
                    assert_eq!(all.last().copied(), Some(v));
                }
            }
            2 => {
                t.unset(k);
                if !k.contains(&0) {
                    assert_eq!(t.get(k), None);
                }
            }
            _ => {
                let n = t.iter().count();
                assert_eq!(n, t.len());
                for i in 0..n {
                    assert!(t.entry(i).is_some());
                }
            }
        }
    }
});
