/** `tsad/report`: the self-contained interactive HTML report of an experiment. */
export {
  type ExperimentReportInput,
  type ReportAlarm,
  type ReportTable,
  renderExperimentReport,
} from './html.js';
export { formatDuration, formatNumber } from './format.js';
