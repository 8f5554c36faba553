export * from './report';
export * from './report-csv';
export * from './timeseries';
export * from './reports.errors';
export * from './reports.repository';
export * from './reports.service';
export * from './reports.controller';
export * from './reports.module';
