import { createContext, useContext } from 'react';
import type { FieldDef } from '../../lib/fields';

export interface BuilderData {
  defs: FieldDef[];
  tags: { id: string; name: string; group?: { name: string } | null }[];
  stages: { id: string; name: string; pipelineName: string }[];
  users: { id: string; name: string }[];
  territories: { id: string; name: string }[];
  segments: { id: string; name: string }[];
}

export const BuilderContext = createContext<BuilderData>({ defs: [], tags: [], stages: [], users: [], territories: [], segments: [] });

export const useBuilderData = () => useContext(BuilderContext);
