/** Every port of both systems, declared once. */
export const PORTS = {
  http: 80,
  https: 443,
  postgres: 5432,
  nfs: 2049,
  /** The Airflow UI service: the webserver (2.x) or the api-server (3.x), which also serves the Execution API. */
  airflowWebserver: 8080,
  videoWeb: 8000,
} as const;
