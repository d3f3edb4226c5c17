// Service sentences that name CLI commands are shown with the app's own way of doing it.
import { describe, expect, it } from 'vitest'
import { LabError, errorMessage } from '../../src-renderer/api/client.ts'

describe('app-phrased messages', () => {
  it('replaces CLI advice with the view that does it', () => {
    expect(errorMessage(new LabError('BAD_REQUEST', 'A dataset named "x" already exists. Remove it (xlab datasets remove x) or choose another --name.'))).toBe('A dataset named "x" already exists. Remove it in the Datasets view or choose another name.')
    expect(errorMessage(new LabError('NOT_FOUND', 'There is no run "r-1". List runs with `xlab runs list`.'))).toBe('There is no run "r-1". The Runs view lists them.')
    expect(errorMessage(new Error('Dataset "demo-chest" is not imported. Import it (xlab datasets import ..., or xlab datasets demo for the demo sets) and resume the study.'))).toBe('Dataset "demo-chest" is not imported. Import it (Datasets view: Import…, or Generate demo datasets) and resume the study.')
    expect(errorMessage(new Error('The study config is not valid (seeds). Fix these fields or start from a preset (xlab study create --preset demo).'))).not.toContain('xlab')
  })

  it('leaves other sentences alone', () => {
    expect(errorMessage(new LabError('INTERNAL', 'Disk full: free 1 GB and try again.'))).toBe('Disk full: free 1 GB and try again.')
  })
})
