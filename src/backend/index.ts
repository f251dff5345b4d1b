export { BACKEND_ORDER, describeBackend, type BackendName, type BackendReport, type SkippedBackend } from './backend-report';
export { chooseBackend, NoBackendError, type ChooseBackendOptions, type WasmBinary } from './choose-backend';
export { loseDevice, restartWebGpu, watchDeviceLoss, type DeviceLoss } from './device-loss';
export { describeBenchmark, fastestMeasured, isSoftwareAdapter, type AdapterFacts, type BackendBenchmark } from './software-adapter';
