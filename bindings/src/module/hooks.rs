//! Hook and filter registration: the request phases a module can hook, where its hooks run
//! relative to other modules', and the trampolines Apache calls for each.

use super::*;

/// The request phases Apache lets a module hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Phase {
    /// `post_read_request`
    PostReadRequest = 0,
    /// `translate_name`
    TranslateName = 1,
    /// `header_parser`
    HeaderParser = 2,
    /// `access_checker`
    AccessChecker = 3,
    /// `check_user_id` (authentication)
    CheckUserId = 4,
    /// `auth_checker` (authorization)
    AuthChecker = 5,
    /// `type_checker`
    TypeChecker = 6,
    /// `fixups`
    Fixups = 7,
    /// `handler` (content generation)
    Handler = 8,
    /// `log_transaction`
    LogTransaction = 9,
}

impl Phase {
    const ALL: [Phase; 10] = [
        Phase::PostReadRequest,
        Phase::TranslateName,
        Phase::HeaderParser,
        Phase::AccessChecker,
        Phase::CheckUserId,
        Phase::AuthChecker,
        Phase::TypeChecker,
        Phase::Fixups,
        Phase::Handler,
        Phase::LogTransaction,
    ];
}

/// Where a hook runs relative to other modules' hooks (`APR_HOOK_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOrder {
    /// `APR_HOOK_REALLY_FIRST`
    ReallyFirst,
    /// `APR_HOOK_FIRST`
    First,
    /// `APR_HOOK_MIDDLE`
    Middle,
    /// `APR_HOOK_LAST`
    Last,
    /// `APR_HOOK_REALLY_LAST`
    ReallyLast,
}

impl HookOrder {
    fn raw(self) -> c_int {
        // bindgen types REALLY_FIRST (negative) as i32 and the others as u32.
        match self {
            HookOrder::ReallyFirst => sys::APR_HOOK_REALLY_FIRST,
            HookOrder::First => sys::APR_HOOK_FIRST as c_int,
            HookOrder::Middle => sys::APR_HOOK_MIDDLE as c_int,
            HookOrder::Last => sys::APR_HOOK_LAST as c_int,
            HookOrder::ReallyLast => sys::APR_HOOK_REALLY_LAST as c_int,
        }
    }
}

/// One hook a module wants registered.
#[derive(Debug, Clone, Copy)]
pub enum Hook {
    /// A request phase, answered by [`ModuleHooks::request_phase`].
    Request(Phase, HookOrder),
    /// `post_config`, answered by [`ModuleHooks::post_config`].
    PostConfig(HookOrder),
    /// `child_init`, answered by [`ModuleHooks::child_init`].
    ChildInit(HookOrder),
    /// `process_connection`, answered by [`ModuleHooks::process_connection`].
    ProcessConnection(HookOrder),
}

unsafe extern "C" fn request_hook<M: ModuleHooks, const P: u8>(r: *mut sys::request_rec) -> c_int {
    // SAFETY: Apache passes the live request_rec to a request hook on its own thread.
    let req = unsafe { Request::from_raw(r) };
    // P is `phase as u8` of a Phase (request_trampoline), so always an index of ALL.
    let Some(&phase) = Phase::ALL.get(usize::from(P)) else {
        return HookResult::Declined.to_raw();
    };
    catch_unwind_or_report("request hook", HookResult::SERVER_ERROR, || {
        M::request_phase(phase, req)
    })
    .to_raw()
}

unsafe extern "C" fn post_config<M: ModuleHooks>(
    pconf: *mut sys::apr_pool_t,
    _plog: *mut sys::apr_pool_t,
    ptemp: *mut sys::apr_pool_t,
    s: *mut sys::server_rec,
) -> c_int {
    catch_unwind_or_report("post_config", HookResult::SERVER_ERROR, || {
        // SAFETY: Apache passes live pools and the main server_rec.
        let (pconf, ptemp, s) = unsafe {
            (
                Pool::from_raw(pconf),
                Pool::from_raw(ptemp),
                Server::from_raw(s),
            )
        };
        M::post_config(pconf, ptemp, s)
    })
    .to_raw()
}

unsafe extern "C" fn child_init<M: ModuleHooks>(p: *mut sys::apr_pool_t, s: *mut sys::server_rec) {
    catch_unwind_or_report("child_init", (), || {
        // SAFETY: Apache passes the child pool and the main server_rec.
        let (pool, s) = unsafe { (Pool::from_raw(p), Server::from_raw(s)) };
        M::child_init(pool, s)
    })
}

type RequestHookFn = unsafe extern "C" fn(*mut sys::request_rec) -> c_int;

fn request_trampoline<M: ModuleHooks>(phase: Phase) -> RequestHookFn {
    match phase {
        Phase::PostReadRequest => request_hook::<M, 0>,
        Phase::TranslateName => request_hook::<M, 1>,
        Phase::HeaderParser => request_hook::<M, 2>,
        Phase::AccessChecker => request_hook::<M, 3>,
        Phase::CheckUserId => request_hook::<M, 4>,
        Phase::AuthChecker => request_hook::<M, 5>,
        Phase::TypeChecker => request_hook::<M, 6>,
        Phase::Fixups => request_hook::<M, 7>,
        Phase::Handler => request_hook::<M, 8>,
        Phase::LogTransaction => request_hook::<M, 9>,
    }
}

pub(super) unsafe extern "C" fn register_hooks<M: ModuleHooks>(_p: *mut sys::apr_pool_t) {
    catch_unwind_or_report("register_hooks", (), || {
        crate::log::set_module_index(M::module().index());
        let none = std::ptr::null();
        for hook in M::HOOKS {
            // SAFETY: registering 'static trampolines with NULL predecessor/successor lists.
            unsafe {
                match *hook {
                    Hook::Request(phase, order) => {
                        let f = Some(request_trampoline::<M>(phase));
                        let o = order.raw();
                        match phase {
                            Phase::PostReadRequest => {
                                sys::ap_hook_post_read_request(f, none, none, o)
                            }
                            Phase::TranslateName => sys::ap_hook_translate_name(f, none, none, o),
                            Phase::HeaderParser => sys::ap_hook_header_parser(f, none, none, o),
                            Phase::AccessChecker => sys::ap_hook_access_checker(f, none, none, o),
                            Phase::CheckUserId => sys::ap_hook_check_user_id(f, none, none, o),
                            Phase::AuthChecker => sys::ap_hook_auth_checker(f, none, none, o),
                            Phase::TypeChecker => sys::ap_hook_type_checker(f, none, none, o),
                            Phase::Fixups => sys::ap_hook_fixups(f, none, none, o),
                            Phase::Handler => sys::ap_hook_handler(f, none, none, o),
                            Phase::LogTransaction => sys::ap_hook_log_transaction(f, none, none, o),
                        }
                    }
                    Hook::PostConfig(order) => {
                        sys::ap_hook_post_config(Some(post_config::<M>), none, none, order.raw())
                    }
                    Hook::ProcessConnection(order) => sys::ap_hook_process_connection(
                        Some(process_connection::<M>),
                        none,
                        none,
                        order.raw(),
                    ),
                    Hook::ChildInit(order) => {
                        sys::ap_hook_child_init(Some(child_init::<M>), none, none, order.raw())
                    }
                }
            }
        }
    })
}

unsafe extern "C" fn output_filter<M: ModuleHooks>(
    f: *mut sys::ap_filter_t,
    bb: *mut sys::apr_bucket_brigade,
) -> sys::apr_status_t {
    catch_unwind_or_report("output filter", crate::AprStatus::GENERAL_ERROR, || {
        // The brigade is ours until we return.
        // SAFETY: Apache passes the live filter and brigade of this call.
        let (f, bb) = unsafe { (crate::Filter::from_raw(f), crate::Brigade::from_raw_mut(bb)) };
        M::output_filter(f, bb)
    })
    .to_raw()
}

/// Registers an output filter named `name` (resource type, as mod_python's) whose brigades
/// go to [`ModuleHooks::output_filter`]. Call during configuration.
pub fn register_output_filter<M: ModuleHooks>(name: &str) {
    let Ok(c) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: Apache copies the name; the callback is a 'static trampoline.
    unsafe {
        sys::ap_register_output_filter(
            c.as_ptr(),
            Some(output_filter::<M>),
            None,
            sys::AP_FTYPE_RESOURCE,
        );
    }
}

unsafe extern "C" fn process_connection<M: ModuleHooks>(c: *mut sys::conn_rec) -> c_int {
    catch_unwind_or_report("process_connection", HookResult::Declined, || {
        // SAFETY: Apache passes the live connection to process_connection on its thread.
        let c = unsafe { crate::Connection::from_raw(c) };
        M::process_connection(c)
    })
    .to_raw()
}

unsafe extern "C" fn input_filter<M: ModuleHooks>(
    f: *mut sys::ap_filter_t,
    bb: *mut sys::apr_bucket_brigade,
    mode: sys::ap_input_mode_t,
    _block: sys::apr_read_type_e,
    readbytes: sys::apr_off_t,
) -> sys::apr_status_t {
    catch_unwind_or_report("input filter", crate::AprStatus::GENERAL_ERROR, || {
        // The brigade is ours until we return.
        // SAFETY: Apache passes the live filter and brigade of this call.
        let (f, bb) = unsafe { (crate::Filter::from_raw(f), crate::Brigade::from_raw_mut(bb)) };
        M::input_filter(f, bb, crate::InputMode::from_raw(mode), readbytes)
    })
    .to_raw()
}

/// Registers an input filter named `name` (resource type) whose reads go to
/// [`ModuleHooks::input_filter`]. Call during configuration.
pub fn register_input_filter<M: ModuleHooks>(name: &str) {
    let Ok(c) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: Apache copies the name; the callback is a 'static trampoline.
    unsafe {
        sys::ap_register_input_filter(
            c.as_ptr(),
            Some(input_filter::<M>),
            None,
            sys::AP_FTYPE_RESOURCE,
        );
    }
}
