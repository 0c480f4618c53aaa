/** The tracking experiment (and registered model) of `tsad nab machine-temperature`. */
export const EXPERIMENT_NAME = 'nab-machine-temperature';
