//! Delivery routes: capacitated vehicle routing with optional time windows.

use serde::{Deserialize, Serialize};

/// A position: degrees on the globe or a plane's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Coord {
    /// Latitude and longitude in degrees (great-circle distances in km).
    LatLon {
        /// Latitude, degrees north.
        lat: f64,
        /// Longitude, degrees east.
        lon: f64,
    },
    /// Plane coordinates (Euclidean distances).
    Xy {
        /// x.
        x: f64,
        /// y.
        y: f64,
    },
}
