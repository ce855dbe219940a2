/**
 * Names both systems are known by (seeds 000 and 002). Every stack derives its resource names
 * from these, so they live apart from any one stack.
 */
export const AIRFLOW_NAME = "alerta-utec-airflow";
export const VIDEO_NAME = "proyecto-nube";
