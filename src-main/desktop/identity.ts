// The app's identity on Windows: the id electron-builder.yml gives the installer (appId) is also the
// AppUserModelId the running app sets, so taskbar pinning, notifications and "Open with" group under
// one app. scripts/pack-check.mjs and a unit test check that the two agree.

export const APP_ID = 'org.hdmea.workbench'
export const APP_NAME = 'HD-MEA Workbench'
/** The file name of the log in the user's log folder (and in browser mode's <workdir>/.workbench/logs). */
export const LOG_FILE_NAME = 'workbench.log'
