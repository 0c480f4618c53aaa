export { NAB_BASE_URL, NAB_DATA_FILES, NAB_OTHER_FILES, type NabManifestEntry } from './manifest.js';
export {
  type LoadNabOptions,
  loadNab,
  type NabDataset,
  type NabLocationOptions,
  nabDataDir,
  nabFiles,
  nabManifestEntry,
  nabPath,
  nabWindows,
  packageRoot,
  userCacheDir,
} from './nab.js';
