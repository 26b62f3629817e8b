//! The loaded dataset (and the planning parameters) kept in IndexedDB, so that a
//! reload does not lose them.
//!
//! Written on web-sys directly: it is three small operations (open, put, get) on one
//! object store, and the IndexedDB crates would add more code than they save here.
//!
//! A write is done when its transaction commits, not when its request succeeds: the
//! browser can still abort at commit (the quota is checked then), and a save reported as
//! done that did not happen is how a merchant loses work.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

const DB: &str = "supplycast";
const STORE: &str = "datasets";
const KEY: &str = "current";

/// Resolves when `req` succeeds (with its result) or rejects with its error.
fn done(req: &IdbRequest) -> JsFuture {
    let req = req.clone();
    let promise = Promise::new(&mut |resolve, reject| {
        let r2 = req.clone();
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &r2.result().unwrap_or(JsValue::UNDEFINED));
        });
        let r3 = req.clone();
        let fail = Closure::once_into_js(move |_: web_sys::Event| {
            let err = r3
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("IndexedDB request failed"));
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise)
}

/// Resolves when `tx` commits, rejects with its error (or "aborted") when it aborts or
/// fails. Made before the transaction's requests are awaited, so that no event is
/// missed.
fn committed(tx: &IdbTransaction) -> JsFuture {
    let tx = tx.clone();
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let t2 = tx.clone();
        let fail = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            let err = t2
                .error()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("the browser aborted the save"));
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        tx.set_oncomplete(Some(ok.unchecked_ref()));
        // Both can fire (an error, then the abort it causes); the second rejection of a
        // settled promise is ignored.
        tx.set_onabort(Some(fail.as_ref().unchecked_ref()));
        tx.set_onerror(Some(fail.as_ref().unchecked_ref()));
        fail.forget();
    });
    JsFuture::from(promise)
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or("IndexedDB is not available")?;
    let req: IdbOpenDbRequest = factory.open_with_u32(DB, 1)?;
    let upgrade = Closure::once_into_js({
        let req = req.clone();
        move |_: web_sys::Event| {
            if let Ok(db) = req.result().and_then(|r| r.dyn_into::<IdbDatabase>())
                && !db.object_store_names().contains(STORE)
            {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db = done(&req).await?;
    db.dyn_into::<IdbDatabase>()
}

/// Stores the encoded dataset, replacing the previous one.
pub async fn save(bytes: &[u8]) -> Result<(), JsValue> {
    save_key(KEY, bytes).await
}

/// The stored dataset's bytes, if any.
pub async fn load() -> Result<Option<Vec<u8>>, JsValue> {
    load_key(KEY).await
}

/// Stores bytes under `key` (e.g. the planning parameters), replacing what was there.
/// Ok only once the browser has committed them; on an error the previous bytes stay.
pub async fn save_key(key: &str, bytes: &[u8]) -> Result<(), JsValue> {
    save_key_then(key, bytes, |_| {}).await
}

/// [`save_key`], calling `after_put` with the write's request as soon as it is made
/// (tests use it to abort the transaction after the request succeeded, as a quota
/// check at commit does).
#[doc(hidden)]
pub async fn save_key_then(
    key: &str,
    bytes: &[u8],
    after_put: impl FnOnce(&IdbRequest),
) -> Result<(), JsValue> {
    let db = open().await?;
    let result = async {
        let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
        let commit = committed(&tx);
        let req = tx
            .object_store(STORE)?
            .put_with_key(&Uint8Array::from(bytes), &JsValue::from_str(key))?;
        after_put(&req);
        // A failed request aborts the transaction: its error is the clearer one.
        done(&req).await?;
        commit.await.map(|_| ())
    }
    .await;
    db.close();
    result
}

/// The bytes stored under `key`, if any.
pub async fn load_key(key: &str) -> Result<Option<Vec<u8>>, JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str(STORE)?;
    let req = tx.object_store(STORE)?.get(&JsValue::from_str(key))?;
    let v = done(&req).await?;
    db.close();
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    Ok(Some(Uint8Array::new(&v).to_vec()))
}

/// Forgets the stored dataset.
pub async fn clear() -> Result<(), JsValue> {
    let db = open().await?;
    let result = async {
        let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
        let commit = committed(&tx);
        let req = tx.object_store(STORE)?.delete(&JsValue::from_str(KEY))?;
        done(&req).await?;
        commit.await.map(|_| ())
    }
    .await;
    db.close();
    result
}
