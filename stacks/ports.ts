/** Every port of both systems, declared once. */
export const PORTS = {
  http: 80,
  https: 443,
  postgres: 5432,
  nfs: 2049,
  airflowWebserver: 8080,
  videoWeb: 8000,
} as const;
