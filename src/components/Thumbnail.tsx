// One sample's preview: an image when the payload value is a safe image source, otherwise
// (or when the image fails to load) the sample's name as plain text.
import * as React from 'react';
import { classifyThumbnail } from '../thumbnails';

export interface IThumbnailProps {
  /** The thumbnail payload value, as found in the point's payload (any type). */
  value: unknown;
  /** Jupyter's `/files/` URL, for values that are paths under the Jupyter root; null disables paths. */
  filesBaseUrl: string | null;
  /** The sample id: the image's alt text, and the placeholder's text when there is no image. */
  label: string;
}

export function Thumbnail(props: IThumbnailProps): JSX.Element {
  const { value, filesBaseUrl, label } = props;
  const source = React.useMemo(
    () => classifyThumbnail(value, filesBaseUrl),
    [value, filesBaseUrl]
  );
  const [brokenSrc, setBrokenSrc] = React.useState<string | null>(null);

  if (source.src !== undefined && brokenSrc !== source.src) {
    const src = source.src;
    return (
      <img
        className="jp-NearDuplicates-thumbnail"
        src={src}
        alt={label}
        title={label}
        loading="lazy"
        decoding="async"
        // An http(s) thumbnail host learns nothing about the Jupyter page that shows it.
        referrerPolicy="no-referrer"
        draggable={false}
        onError={() => setBrokenSrc(src)}
      />
    );
  }

  // Text only: React escapes it, so a payload such as "<img onerror=...>" stays a string.
  const broken = source.src !== undefined;
  const shown = broken || source.text === '' ? label : source.text;
  const tooltip = broken
    ? `${label}: the image did not load (${source.text})`
    : source.text && source.text !== label
      ? `${label}: ${source.text}`
      : label;
  return (
    <span
      className={
        'jp-NearDuplicates-thumbnail jp-NearDuplicates-thumbnailText' +
        (broken ? ' jp-NearDuplicates-thumbnailBroken' : '')
      }
      title={tooltip}
    >
      {shown}
    </span>
  );
}
