// Every section of `xlab doctor`, in order; add a subsystem's check here (one line each).
import { slurmDoctor, slurmDoctorSection } from '../runner/slurm/doctor.ts'
import { dataRootSection } from './data-root-check.ts'
import { environmentChecks, type EngineDoctorContext } from './environment-checks.ts'
import type { DoctorCheck } from './report.ts'

/** The checks the CLI, the API and the app's Environment view run. */
export const doctorChecks: DoctorCheck<EngineDoctorContext>[] = [
  ...environmentChecks,
  { id: 'data-root', title: 'Data root', run: dataRootSection },
  { id: 'slurm', title: 'Slurm cluster', run: async () => slurmDoctorSection(await slurmDoctor()) },
]
