//! The three declarations a native type is made of, each naming every item once: its
//! methods ([`native_methods!`]), its attributes ([`native_attributes!`]) and the type itself
//! ([`native_type!`]). They expand to the entry points CPython calls (each through
//! [`trampoline`](super::trampoline), so panics are trapped) and the static tables that
//! describe them.

/// Declares the methods of a native type (or the functions of a module) in one place: each
/// entry names the method once, with its arguments and docstring, and becomes a
/// `METH_FASTCALL` entry point (panics trapped, arguments matched by name, the receiver
/// checked) plus its line of the `PyMethodDef` table `$table`. The entry points live in the
/// module `$module`.
///
/// ```ignore
/// native_methods! {
///     METHODS, mod table_methods, |py, slf| table(py, slf);
///     get(t, a = ["key", "default"] / 1) "get(key, default=None): the first value of key." {
///         ...
///     }
/// }
/// ```
/// `|py, slf| receiver` names the attachment token and the `self` pointer for every body and
/// turns `slf` into what bodies get as their first binding (a `PyResult`, so an ended request
/// raises before any argument is looked at); `a = [names] / n` binds the parsed [`Args`](super::Args), the
/// first `n` names being required.
macro_rules! native_methods {
    (
        $(#[$meta:meta])* $vis:vis $table:ident, mod $module:ident,
        |$py:ident, $slf:ident| $receiver:expr;
        $(
            $name:ident($this:pat, $a:ident = [$($arg:literal),*] / $required:literal)
            $doc:literal $body:block
        )*
    ) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                pub(super) unsafe extern "C" fn $name(
                    $slf: *mut pyo3_ffi::PyObject,
                    args: *const *mut pyo3_ffi::PyObject,
                    nargs: pyo3_ffi::Py_ssize_t,
                    kw: *mut pyo3_ffi::PyObject,
                ) -> *mut pyo3_ffi::PyObject {
                    $crate::native::trampoline(|$py| {
                        #[allow(unused_mut)] // only methods that change the receiver need it
                        // SAFETY: CPython calls a method with its receiver and fastcall args.
                        let ($this, $a) = unsafe {
                            let receiver = $receiver?;
                            let names = [$($arg),*];
                            let parsed = $crate::native::Args::parse(
                                $py, stringify!($name), names, $required, args, nargs, kw,
                            )?;
                            (receiver, parsed)
                        };
                        $body
                    })
                }
            )*
        }
        $(#[$meta])*
        $vis static $table: $crate::native::Static<
            [pyo3_ffi::PyMethodDef; [$(stringify!($name)),*].len() + 1],
        > = $crate::native::Static::new([
            $(
                $crate::native::method(
                    $crate::native::c_name(concat!(stringify!($name), "\0")),
                    $module::$name,
                    $crate::native::c_name(concat!($doc, "\0")),
                ),
            )*
            $crate::native::METHODS_END,
        ]);
    };
}
pub(crate) use native_methods;

/// Declares the attributes of a native type in one place, as [`native_methods!`] does its
/// methods: each entry names the attribute once, with its docstring and a getter body, and
/// for a writable one a setter body after `=> |value|`, where `value` is the new value
/// (`None` for `del`). The entry points live in the module `$module`, the `PyGetSetDef`
/// table is `$table`.
///
/// ```ignore
/// native_attributes! {
///     GETSET, mod conn_attributes, |py, slf| view(py, slf);
///     keepalive(c) "Keep-alive state." { py.int(i64::from(c.keepalive())) }
///         => |value| { c.set_keepalive(...); Ok(()) }
/// }
/// ```
macro_rules! native_attributes {
    (
        $(#[$meta:meta])* $vis:vis $table:ident, mod $module:ident,
        |$py:ident, $slf:ident| $receiver:expr;
        $(
            $name:ident($this:pat) $doc:literal $get:block
            $(=> |$value:ident| $set:block)?
        )*
    ) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                pub(super) unsafe extern "C" fn $name(
                    $slf: *mut pyo3_ffi::PyObject,
                    _closure: *mut std::ffi::c_void,
                ) -> *mut pyo3_ffi::PyObject {
                    $crate::native::trampoline(|$py| {
                        // SAFETY: CPython calls a getter with an object of its type.
                        let $this = unsafe { $receiver }?;
                        $get
                    })
                }
            )*

            /// The setters, under the names of their attributes.
            pub(super) mod set {
                #[allow(unused_imports)]
                use super::*;
                $($(
                    pub(in super::super) unsafe extern "C" fn $name(
                        $slf: *mut pyo3_ffi::PyObject,
                        value: *mut pyo3_ffi::PyObject,
                        _closure: *mut std::ffi::c_void,
                    ) -> std::ffi::c_int {
                        $crate::native::trampoline_int(|$py| {
                            // SAFETY: CPython calls a setter with an object of its type.
                            let $this = unsafe { $receiver }?;
                            let $value = if value.is_null() {
                                None // deletion
                            } else {
                                // SAFETY: a live object CPython lends us for the call.
                                Some(unsafe { $crate::py::Obj::from_borrowed($py, value) })
                            };
                            $set.map(|()| 0)
                        })
                    }
                )?)*
            }
        }

        $(#[$meta])*
        $vis static $table: $crate::native::Static<
            [pyo3_ffi::PyGetSetDef; [$(stringify!($name)),*].len() + 1],
        > = $crate::native::Static::new([
            $(
                pyo3_ffi::PyGetSetDef {
                    name: $crate::native::c_name(concat!(stringify!($name), "\0")).as_ptr(),
                    get: Some($module::$name),
                    set: $crate::native::native_attributes!(@setter $module $name $($set)?),
                    doc: $crate::native::c_name(concat!($doc, "\0")).as_ptr(),
                    closure: std::ptr::null_mut(),
                },
            )*
            $crate::native::GETSET_END,
        ]);
    };
    (@setter $module:ident $name:ident) => {
        None
    };
    (@setter $module:ident $name:ident $set:block) => {
        Some($module::set::$name)
    };
}
pub(crate) use native_attributes;

/// Declares a heap type of `_apache` in one place: its spec (name, layout, docstring, whether
/// Python code may make instances, whether it takes part in garbage collection), its slots,
/// and `create_type(py, module)`, which makes the type for one `_apache` module (each
/// interpreter has its own).
///
/// ```ignore
/// native_type! {
///     "mp_conn", ConnObject, "A client connection.", instantiable: false, gc: false,
///     slots: [Py_tp_dealloc => dealloc, Py_tp_methods => METHODS.get()]
/// }
/// ```
macro_rules! native_type {
    // A type that takes part in garbage collection: `refs` lists (as `&mut` slots) the
    // references an object `o` owns; `traverse` and `clear` are made from it.
    (
        $name:literal, $layout:ty, $doc:literal, instantiable: $instantiable:literal,
        gc: |$o:ident| $refs:expr, slots: [$($slot:ident => $f:expr),* $(,)?]
    ) => {
        /// `tp_traverse`: the references the object owns, then its heap type.
        unsafe extern "C" fn traverse(
            slf: *mut pyo3_ffi::PyObject,
            visit: pyo3_ffi::visitproc,
            arg: *mut std::ffi::c_void,
        ) -> std::ffi::c_int {
            // SAFETY: called by the GC on an object of this type, nothing else borrowing it.
            unsafe {
                let $o = $crate::native::layout_mut::<$layout>(slf);
                let ty = pyo3_ffi::Py_TYPE(slf) as *mut pyo3_ffi::PyObject;
                $crate::native::visit_refs($refs.map(|p| *p).chain([ty]), visit, arg)
            }
        }

        /// `tp_clear` (and the first step of `tp_dealloc`): releases the references the
        /// object owns.
        unsafe extern "C" fn clear(slf: *mut pyo3_ffi::PyObject) -> std::ffi::c_int {
            // Each reference is released once.
            // SAFETY: called with the GIL held on an object of this type.
            unsafe {
                let $o = $crate::native::layout_mut::<$layout>(slf);
                $crate::native::release_refs($refs);
            }
            0
        }

        $crate::native::native_type! {
            $name, $layout, $doc, instantiable: $instantiable, gc: true,
            slots: [$($slot => $f,)* Py_tp_traverse => traverse, Py_tp_clear => clear]
        }
    };
    (
        $name:literal, $layout:ty, $doc:literal, instantiable: $instantiable:literal,
        gc: $gc:literal, slots: [$($slot:ident => $f:expr),* $(,)?]
    ) => {
        static SLOTS: $crate::native::Static<
            [pyo3_ffi::PyType_Slot; [$(stringify!($slot)),*].len() + 2],
        > = $crate::native::Static::new([
            $( $crate::native::slot(pyo3_ffi::$slot, $f as *mut std::ffi::c_void), )*
            $crate::native::slot(
                pyo3_ffi::Py_tp_doc,
                $crate::native::c_name(concat!($doc, "\0")).as_ptr() as *mut std::ffi::c_void,
            ),
            $crate::native::SLOTS_END,
        ]);

        static SPEC: $crate::native::Static<pyo3_ffi::PyType_Spec> =
            $crate::native::Static::new($crate::native::type_spec(
                $crate::native::c_name(concat!($name, "\0")),
                std::mem::size_of::<$layout>(),
                $instantiable,
                $gc,
                &SLOTS,
            ));

        #[doc = concat!("Creates the `", $name, "` type for the `_apache` module `module`.")]
        pub(crate) fn create_type<'py>(
            py: $crate::py::Python<'py>,
            module: &$crate::py::Obj<'py>,
        ) -> $crate::py::PyResult<'py, $crate::py::Obj<'py>> {
            $crate::native::create_heap_type(py, module, &SPEC)
        }
    };
}
pub(crate) use native_type;
