// One sample's preview: an image when the payload value is a safe image source, otherwise
// (or when the image fails to load) the sample's name as plain text.
import * as React from 'react';
import {
  classifyThumbnail,
  IThumbnailPolicy,
  referrerPolicyFor
} from '../thumbnails';

export interface IThumbnailProps {
  /** The thumbnail payload value, as found in the point's payload (any type). */
  value: unknown;
  /** Where images may come from: Jupyter's `/files/` URL for paths, and the remote-URL rules. */
  policy: IThumbnailPolicy;
  /** The sample id: the image's alt text, and the placeholder's text when there is no image. */
  label: string;
}

export function Thumbnail(props: IThumbnailProps): JSX.Element {
  const { value, policy, label } = props;
  const source = React.useMemo(
    () => classifyThumbnail(value, policy),
    [value, policy]
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
        // A remote host learns nothing about the Jupyter page; Jupyter's /files/ needs
        // the same-origin Referer to serve a cookie-authenticated request.
        referrerPolicy={referrerPolicyFor(source)}
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
    : source.refused
      ? `${label}: not loaded, ${source.refused} (${source.text})`
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
