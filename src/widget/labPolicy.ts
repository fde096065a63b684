// The panel's remote-thumbnail settings as every SampleGrid sees them: the widget plugin keeps
// this current, and a grid redraws when it changes. The rule itself is in ../thumbnails.
import { IRemoteRule, readRemoteRule } from '../thumbnails';

export class LabRemotePolicy {
  get rule(): IRemoteRule {
    return this._rule;
  }

  /** Called with the panel's composite settings; unknown values read as the strictest. */
  update(remoteThumbnails: unknown, thumbnailHosts: unknown): void {
    this._rule = readRemoteRule(remoteThumbnails, thumbnailHosts);
    for (const listener of this._listeners) {
      listener();
    }
  }

  /** Calls `listener` after each update; returns the function that stops it. */
  listen(listener: () => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  // Allow-all until the settings are read, as the settings' own default.
  private _rule: IRemoteRule = readRemoteRule('allowed', []);
  private readonly _listeners = new Set<() => void>();
}

/** The one the plugin updates and every grid view reads. */
export const labRemotePolicy = new LabRemotePolicy();
