/** `tsad/report`: the self-contained interactive HTML report of an experiment. */

export { formatDuration, formatNumber } from './format.js';
export {
  type ExperimentReportInput,
  type ReportAlarm,
  type ReportTable,
  renderExperimentReport,
} from './html.js';
