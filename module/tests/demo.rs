//! The demo site that `./demo.sh` serves (README's main command), on a real Apache: its pages
//! answer, including the one passed through a Python output filter.

mod common;

use common::get;
use test_httpd::Mpm;

const SITE_CONF: &str = include_str!("../../demo/site.conf");
const DEMO: &str = include_str!("../../demo/demo.py");

#[test]
fn demo_site_pages() {
    let apache = common::start(Mpm::Event, SITE_CONF, &[("demo.py", DEMO)]);
    let home = get(&apache, "/");
    assert_eq!(home.status, 200, "{}", apache.error_log());
    assert!(home.text().contains("Hello from Python inside Apache"));
    let form = get(&apache, "/form?name=Ada");
    assert!(form.text().contains("Nice to meet you, <b>Ada</b>"));
    let info = get(&apache, "/info?x=1");
    assert!(info.text().contains("<td>x=1</td>"), "{}", info.text());
    let shout = get(&apache, "/shout");
    assert!(
        shout
            .text()
            .contains("THIS HANDLER WROTE ITS PAGE IN LOWER CASE"),
        "{}\n{}",
        shout.text(),
        apache.error_log()
    );
    assert_eq!(get(&apache, "/nothing-here").status, 404);
}
