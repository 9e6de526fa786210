//! Fuzzes the multipart parser: any body, cut into chunks of any size, must give events or
//! an error, never a panic, and the same events and answer however it is cut.
#![no_main]

use forms::multipart::{Error, Event, Limits, Parser};
use libfuzzer_sys::fuzz_target;

/// What a run reports: each event (a part's data pieces joined into one), and the error.
type Outcome = (Vec<(String, Vec<u8>)>, Option<Error>);

fn run(body: &[u8], chunk: usize) -> Outcome {
    let limits = Limits { max_header_bytes: 512, max_parts: 64 };
    let mut parser = Parser::new(b"b0undary", limits).expect("valid boundary");
    let mut events: Vec<(String, Vec<u8>)> = Vec::new();
    for piece in body.chunks(chunk) {
        let fed = parser.feed(piece, |e| match e {
            Event::Data(d) => match events.last_mut() {
                Some((kind, bytes)) if kind == "data" => bytes.extend_from_slice(d),
                _ => events.push(("data".into(), d.to_vec())),
            },
            other => events.push((format!("{other:?}"), Vec::new())),
        });
        if let Err(e) = fed {
            return (events, Some(e));
        }
    }
    let end = parser.finish().err();
    (events, end)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else { return };
    let whole = run(body, body.len().max(1));
    let pieces = run(body, usize::from(cut).max(1));
    let size_limit = |o: &Outcome| matches!(o.1, Some(Error::HeaderTooLarge { .. }));
    // Where the header size limit is met depends on where the cuts fall; anything else is
    // the same however the body is cut.
    if !size_limit(&whole) && !size_limit(&pieces) {
        assert_eq!(whole, pieces);
    }
});
