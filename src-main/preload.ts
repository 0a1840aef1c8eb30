// Preload entry (built to out/preload/preload.cjs). The bridge itself is in ./app/preload.
import './app/preload'
