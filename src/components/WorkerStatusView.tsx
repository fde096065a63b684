// Shows whether the scan worker is up: the first thing a scan needs.
import * as React from 'react';
import type { WorkerStatus } from '../workerHost';

export interface IWorkerStatusViewProps {
  status: WorkerStatus;
}

export function WorkerStatusView(props: IWorkerStatusViewProps): JSX.Element {
  const { status } = props;
  let text: string;
  switch (status.state) {
    case 'starting':
      text = 'Starting the scan worker…';
      break;
    case 'ready':
      text = status.qdrantClient
        ? `Scan worker ready (protocol ${status.protocol}, Qdrant client loaded)`
        : `Scan worker ready (protocol ${status.protocol}), but the Qdrant client did not load`;
      break;
    case 'failed':
      text = status.message;
      break;
  }
  return (
    <div
      className={`jp-NearDuplicates-workerStatus jp-NearDuplicates-workerStatus-${status.state}`}
      role="status"
      aria-live="polite"
    >
      {text}
    </div>
  );
}
