//! mtlskit-web: the inspector page. Placeholder while the modules land.
