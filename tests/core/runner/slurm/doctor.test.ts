// doctor's Slurm line on a machine without the Slurm client (the cluster case is in slurm-cluster.test.ts).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { slurmDoctor, slurmDoctorSection } from '../../../../src-core/runner/slurm/doctor.ts'

describe('slurm doctor', () => {
  it('says sbatch is missing and that local runs still work', async () => {
    const r = await slurmDoctor({ PATH: mkdtempSync(join(tmpdir(), 'xlab-nopath-')) })
    expect(r).toMatchObject({ installed: false, reachable: false, partitions: [] })
    expect(r.message).toMatch(/sbatch is not on the PATH.*"local"/)
    expect(slurmDoctorSection(r)).toMatchObject({ id: 'slurm', status: 'ok', rows: [['sbatch', 'not installed (studies run on this machine only)']], notes: [r.message] })
  })
})
